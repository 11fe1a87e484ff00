import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import { networkInterfaces } from 'node:os';
import type { MockttpHttpsOptions } from 'mockttp';
import type { CertificateAuthority } from './certificate-authority.js';
import type { LeafCertificate } from './leaf-generator.js';
import { registerTunnelLeaves } from './mockttp-tunnel-leaves.js';
import { pemBody } from './pem.js';

/**
 * How mockttp 4.6.5 picks certificates (dist/server/http-combo-server.js):
 * - `getCA(https)` wraps our CA; `ca.generateCertificate(domain)` makes leaves with a process-wide RSA-2048 key,
 *   a DNS SAN only (an IP gets a DNS SAN and fails verification), 45 days validity.
 * - SNI names go through `SNICallback` -> `generateCertificate(servername)`; the callback is set after
 *   `tlsServerOptions` is spread, so it cannot be replaced through options.
 * - Connections without SNI (every client connecting to an IP literal: RFC 6066 forbids IPs in SNI) get the
 *   server's default `key`/`cert`, which ARE taken from `tlsServerOptions` (spread after the defaults).
 * - TRAP (Node/OpenSSL): an SNI context only replaces the default certificate of the SAME key type. With an EC
 *   default and RSA SNI leaves, SNI clients still get the EC default (wrong name). Default and SNI leaves must
 *   therefore share one key type.
 * So: `tlsServerOptions.{key,cert}` gives IP literals an IP-SAN default certificate, and replacing the exported
 * `getCA` of mockttp's certificates module (looked up at call time) swaps in our leaves for SNI names.
 */

export const LOOPBACK_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** This machine's interface addresses: IP literals clients may use to reach a local upstream through the proxy. */
export function localInterfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')) continue; // scoped, unusable in URLs
      out.push(a.address);
    }
  }
  return out;
}

export interface MockttpHttpsOptionsInput {
  /**
   * 'ours' (default): every leaf comes from `ca.leafFor()` (hook installed; ECDSA unless the CA was loaded with
   * `leafKeyType: 'rsa-2048'`, IP SANs for IP SNI). 'mockttp': mockttp's own RSA leaves for SNI names, no
   * patching; the default (no-SNI) certificate is then RSA too, to sit in the same OpenSSL slot.
   */
  leaves?: 'ours' | 'mockttp';
  /** SANs of the certificate served when the client sends no SNI. Default: loopback names + interface addresses. */
  defaultNames?: readonly string[];
  /** Passed through (tlsPassthrough, tlsInterceptOnly, keyLogFile, ...). */
  extra?: Omit<MockttpHttpsOptions, 'key' | 'cert' | 'keyPath' | 'certPath'>;
}

/**
 * The `https` option for `getLocal({ https })`: our CA, a default certificate with IP SANs (so
 * `https://127.0.0.1:PORT` through the proxy verifies), and by default our leaves for SNI names.
 */
export async function mockttpHttpsOptions(ca: CertificateAuthority, input: MockttpHttpsOptionsInput = {}): Promise<MockttpHttpsOptions> {
  const names = input.defaultNames ?? [...new Set([...LOOPBACK_NAMES, ...localInterfaceAddresses()])];
  const ours = (input.leaves ?? 'ours') === 'ours';
  if (ours) useOwnLeavesInMockttp(ca);
  const leaf = await ca.leafForNames(names, ours ? {} : { keyType: 'rsa-2048' });
  // IP literals beyond the default names (no SNI, CONNECT 10.1.2.3:443) get a leaf for the CONNECT host.
  if (ours) registerTunnelLeaves(ca, leaf.certPem);
  const tlsServerOptions = {
    ...(input.extra?.tlsServerOptions ?? {}),
    key: leaf.keyPem,
    cert: leaf.certPem,
  } as MockttpHttpsOptions['tlsServerOptions'];
  return {
    ...(input.extra ?? {}),
    key: ca.keyPem,
    cert: ca.certPem,
    defaultDomain: 'localhost',
    tlsServerOptions,
  };
}

interface GeneratedCertificate { key: string; cert: string; ca: string; expiresAt: Date }
interface MockttpCa { generateCertificate(domain: string): Promise<GeneratedCertificate> }
interface CertificatesModule { getCA: (options: unknown) => Promise<MockttpCa> }

const registry = new Map<string, CertificateAuthority>();
let hookInstalled = false;

function toGenerated(leaf: LeafCertificate): GeneratedCertificate {
  return { key: leaf.keyPem, cert: leaf.certPem, ca: leaf.caPem, expiresAt: leaf.notAfter };
}

async function caCertOf(options: unknown): Promise<string | undefined> {
  if (typeof options !== 'object' || options === null) return undefined;
  const o = options as { cert?: unknown; certPath?: unknown };
  // mockttp takes a PEM as a string or a Buffer (or an array of them, never one of ours).
  if (typeof o.cert === 'string') return o.cert;
  if (Buffer.isBuffer(o.cert)) return o.cert.toString('utf8');
  if (o.cert !== undefined) return undefined;
  if (typeof o.certPath === 'string') return fs.readFile(o.certPath, 'utf8');
  return undefined;
}

/**
 * Makes every mockttp server in this process whose `https.cert` is `ca`'s certificate issue leaves from
 * `ca.leafFor(sni)`: ECDSA P-256 keys, IP SANs when the SNI is an IP, our LRU cache. Other CAs keep
 * mockttp's own generator. Idempotent; returns an unregister function. Relies on mockttp internals
 * (pinned 4.6.5): `isMockttpLeafHookActive()` and the integration test catch a layout change.
 */
export function useOwnLeavesInMockttp(ca: CertificateAuthority): () => void {
  const certs = createRequire(import.meta.url)('mockttp/dist/util/certificates') as CertificatesModule;
  if (!hookInstalled) {
    const original = certs.getCA;
    if (typeof original !== 'function') throw new Error('mockttp layout changed: dist/util/certificates has no getCA');
    certs.getCA = async (options: unknown): Promise<MockttpCa> => {
      const pem = await caCertOf(options);
      const ours = pem === undefined ? undefined : registry.get(pemBody(pem));
      if (!ours) return original(options);
      // The default certificate mockttp asks for first is replaced through tlsServerOptions anyway.
      return { generateCertificate: async (domain: string) => toGenerated(await ours.leafFor(domain)) };
    };
    hookInstalled = true;
  }
  const id = pemBody(ca.certPem);
  registry.set(id, ca);
  return () => {
    if (registry.get(id) === ca) registry.delete(id);
  };
}

export function isMockttpLeafHookActive(): boolean {
  return hookInstalled;
}
