import { createRequire } from 'node:module';
import tls from 'node:tls';
import type { CertificateAuthority } from './certificate-authority.js';
import type { LeafCertificate } from './leaf-generator.js';
import { pemBody } from './pem.js';

/**
 * Clients never send SNI for IP literals, so mockttp serves its one default certificate to every
 * `CONNECT 10.1.2.3:443`. This hook serves `ca.leafFor(<CONNECT host>)` instead when the ClientHello has
 * no SNI. It relies on Node internals that mockttp 4.6.5 itself patches the same way
 * (TLSSocket#_init, the handle's `oncertcb`, `sni_context`, `_parent`), so it is guarded: if any of them
 * is missing it does nothing and the default certificate (loopback + interface IPs) is served as before.
 */

interface CertCbHandle { oncertcb?: (this: CertCbHandle, info: { servername?: string }) => unknown; sni_context?: unknown }
interface InternalTlsSocket {
  _handle?: CertCbHandle | null;
  _parent?: Record<symbol, unknown>;
  server?: { cert?: unknown };
}

const byDefaultCert = new Map<string, CertificateAuthority>();
const contexts = new WeakMap<LeafCertificate, tls.SecureContext>();
let installed = false;
let lastTunnelAddress: symbol | undefined;

/** "host:port", "[v6]:port" -> host (brackets stripped). */
export function tunnelHost(authority: string): string | undefined {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(authority) ?? /^([^:]+)(?::\d+)?$/.exec(authority);
  return m?.[1];
}

/** Called by mockttpHttpsOptions(ca) for the server whose default certificate is `defaultCertPem`. */
export function registerTunnelLeaves(ca: CertificateAuthority, defaultCertPem: string): void {
  byDefaultCert.set(pemBody(defaultCertPem), ca);
  if (installed) return;
  installed = true;
  try {
    const ext = createRequire(import.meta.url)('mockttp/dist/util/socket-extensions') as { LastTunnelAddress?: symbol };
    lastTunnelAddress = ext.LastTunnelAddress;
  } catch {
    return;
  }
  const proto = tls.TLSSocket.prototype as unknown as { _init?: (...args: unknown[]) => void };
  const originalInit = proto._init;
  if (typeof originalInit !== 'function' || typeof lastTunnelAddress !== 'symbol') return;
  proto._init = function (this: InternalTlsSocket, ...args: unknown[]) {
    originalInit.apply(this, args);
    wrapCertCallback(this);
  };
}

function wrapCertCallback(socket: InternalTlsSocket): void {
  const handle = socket._handle;
  const previous = handle?.oncertcb;
  if (!handle || typeof previous !== 'function' || !socket.server) return;
  handle.oncertcb = function (info) {
    const ca = typeof socket.server?.cert === 'string' ? byDefaultCert.get(pemBody(socket.server.cert)) : undefined;
    const authority = socket._parent?.[lastTunnelAddress!];
    const host = !info?.servername && ca && typeof authority === 'string' ? tunnelHost(authority) : undefined;
    if (!ca || !host) return previous.call(this, info);
    ca.leafFor(host).then((leaf) => {
      let ctx = contexts.get(leaf);
      if (!ctx) {
        ctx = tls.createSecureContext({ key: leaf.keyPem, cert: leaf.certPem });
        contexts.set(leaf, ctx);
      }
      // Node's cert callback completion switches to `sni_context` when set, SNI or not.
      this.sni_context = ctx.context;
    }).catch(() => undefined).finally(() => {
      if (socket._handle) previous.call(this, info);
    });
    return undefined;
  };
}

export function isTunnelLeafHookInstalled(): boolean {
  return installed && typeof lastTunnelAddress === 'symbol';
}
