import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

export function derToPem(der: ArrayBuffer | Uint8Array, label: string): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The base64 body of the first PEM block, whitespace removed: a stable identity for comparing certificates. */
export function pemBody(pem: string): string {
  const m = /-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END [A-Z0-9 ]+-----/.exec(pem);
  return (m?.[1] ?? '').replace(/\s+/g, '');
}

/** Upper-case colon-less hex digests, the form `security -Z` and `certutil -delstore` take. */
export interface CertFingerprints {
  sha1: string;
  sha256: string;
  /** Base64 SHA-256 of the DER SubjectPublicKeyInfo: Chromium's `--ignore-certificate-errors-spki-list` pin. */
  spkiSha256: string;
  serialHex: string;
}

export function fingerprints(certPem: string): CertFingerprints {
  const cert = new NodeX509(certPem);
  const der = cert.raw;
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return {
    sha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
    sha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
    spkiSha256: createHash('sha256').update(spki).digest('base64'),
    serialHex: cert.serialNumber.toUpperCase(),
  };
}

/** SPKI SHA-256 pin (base64) of a certificate, as Chromium and HPKP-style pinning expect it. */
export function spkiSha256Pin(certPem: string): string {
  return fingerprints(certPem).spkiSha256;
}

export type SubjectName = { kind: 'dns'; value: string } | { kind: 'ip'; value: string };

/**
 * Normalises what a client asked for (SNI, CONNECT host, URL host) into a SAN entry.
 * IPv6 may arrive bracketed from CONNECT authorities; IDNs go to punycode because SANs are IA5String.
 */
export function classifyHost(input: string): SubjectName {
  let host = input.trim().toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const zone = host.indexOf('%');
  if (zone >= 0 && isIP(host.slice(0, zone)) === 6) host = host.slice(0, zone);
  if (isIP(host) !== 0) return { kind: 'ip', value: host };
  if (host.endsWith('.')) host = host.slice(0, -1);
  const ascii = host.startsWith('*.') ? `*.${domainToASCII(host.slice(2))}` : domainToASCII(host);
  if (!ascii || ascii.length > 253) throw new Error(`Not a valid hostname: ${JSON.stringify(input)}`);
  return { kind: 'dns', value: ascii };
}
