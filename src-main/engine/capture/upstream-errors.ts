import type { EntryError } from '../../../src-shared/model.js';

/** What a failed upstream leg means, in words a user acts on. Keyed by Node/OpenSSL error code. */
const EXPLANATIONS: Array<[RegExp, string]> = [
  [/^ECONNREFUSED$/, 'the upstream refused the connection (nothing is listening there)'],
  [/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL)$/, 'the upstream host name did not resolve'],
  [/^(ETIMEDOUT|ESOCKETTIMEDOUT|UPSTREAM_TIMEOUT)$/, 'the upstream did not answer in time'],
  [/^(ECONNRESET|EPIPE)$/, 'the upstream closed the connection unexpectedly'],
  [/^(EHOSTUNREACH|ENETUNREACH)$/, 'the upstream host is unreachable'],
  [/^LOOP$/, 'the request points back at this proxy and would loop forever'],
  [/^DUPLICATE_HOST$/, 'the request has more than one Host header and was refused (RFC 9112 3.2)'],
  [/^UPSTREAM_EXCESS_DATA$/, 'the upstream sent more than its response declared; the client got the declared body, the rest was dropped'],
  [/^HPE_/, 'the upstream sent a malformed HTTP response'],
  [/^TOXIC_/, "injected by the session's toxics"],
  [
    /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS|ERR_SSL|EPROTO|HOSTNAME_MISMATCH|ERR_TLS_CERT)/,
    'the TLS handshake with the upstream failed',
  ],
];

export function explainUpstreamError(code: string, detail?: string): EntryError {
  const explanation = EXPLANATIONS.find(([pattern]) => pattern.test(code))?.[1] ?? 'the upstream request failed';
  return { code, message: detail ? `${explanation}: ${detail}` : explanation };
}

/** mockttp tags failed passthroughs `passthrough-error:CODE`; the first such tag names the failure. */
export function upstreamErrorCode(tags: readonly string[] | undefined): string | undefined {
  if (!tags) return undefined;
  for (const tag of tags) {
    if (tag.startsWith('passthrough-error:')) {
      const code = tag.slice('passthrough-error:'.length);
      if (code && code !== 'undefined' && code !== 'mockttp-abort') return code;
    }
  }
  return undefined;
}
