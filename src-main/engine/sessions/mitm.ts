import type { MockttpHttpsOptions } from 'mockttp';
import type { Entry, MitmConfig } from '../../../src-shared/model.js';
import type { CertificateAuthority } from '../ca/index.js';
import { mockttpHttpsOptions } from '../ca/index.js';
import { hostScopeList } from './mitm-host-scope.js';
import type { TlsRejection } from './proxy-session.js';
import { noUpstreamTimings } from '../capture/upstream-timings.js';

/**
 * mockttp's `https` options for an intercepting session: our CA, our leaves, and which hosts stay blind. The host
 * globs are ours (linear-time, the same as the scope filters), not mockttp's URLPattern: see mitm-host-scope.ts.
 */
export async function interceptionOptions(ca: CertificateAuthority, mitm: MitmConfig): Promise<MockttpHttpsOptions> {
  const extra = mitm.includeHosts?.length
    ? { tlsInterceptOnly: hostScopeList(mitm.includeHosts) }
    : mitm.excludeHosts?.length
      ? { tlsPassthrough: hostScopeList(mitm.excludeHosts) }
      : {};
  return mockttpHttpsOptions(ca, { extra });
}

const HINTS: Record<string, string> = {
  'cert-rejected': 'the client does not trust the Traffic Recorder CA',
  reset: 'the client reset the connection during the TLS handshake: it probably does not trust the Traffic Recorder CA, or pins certificates',
};

/** The entry that tells a user why an intercepted host shows no traffic. */
export function tlsRejectionEntry(id: string, sessionId: string, rejection: TlsRejection): Entry {
  const hint = HINTS[rejection.cause] ?? `the TLS handshake with the client failed (${rejection.cause})`;
  const port = rejection.port ?? 443;
  return {
    id,
    sessionId,
    entryType: 'tunnel',
    startedAt: new Date(rejection.startedAt).toISOString(),
    request: {
      method: 'CONNECT',
      url: `${rejection.host}:${port}`,
      httpVersion: '1.1',
      headers: [],
      body: { size: 0, capturedSize: 0, truncated: false },
      remoteAddress: rejection.remoteAddress,
      remotePort: rejection.remotePort,
    },
    durationMs: 0,
    timings: noUpstreamTimings(),
    tags: [],
    notes: '',
    mapLocal: false,
    error: {
      code: rejection.cause === 'cert-rejected' ? 'CLIENT_REJECTED_CERT' : 'CLIENT_TLS_FAILED',
      message: `${hint} — install it (traffic-recorder ca install) or give it to the app (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, curl --cacert)`,
    },
    tunnel: { host: rejection.host, port, bytesUp: 0, bytesDown: 0, durationMs: 0 },
  };
}
