import { generateCACertificate } from 'mockttp';

let material: Promise<{ key: string; cert: string }> | undefined;

/**
 * Forward sessions need a key and certificate so mockttp can read TLS ClientHellos and pass CONNECT tunnels
 * through blind. Nothing is signed with it while interception is off, so a per-process throwaway CA will do;
 * the persistent install CA replaces it when MITM is enabled.
 */
export function ephemeralTlsMaterial(): Promise<{ key: string; cert: string }> {
  material ??= generateCACertificate({ subject: { commonName: 'Traffic Recorder passthrough (not trusted)' }, bits: 2048 });
  return material;
}
