/** The error of a failed exchange, said plainly: what happened and what to check. */
import type { EntryError } from '../../../src-shared/model.js';

const EXPLANATIONS: Record<string, string> = {
  ECONNREFUSED: 'The upstream server refused the connection: nothing is listening at that address and port.',
  ECONNRESET: 'The connection was cut off abruptly (reset) before the exchange finished.',
  ETIMEDOUT: 'The upstream did not answer in time.',
  ENOTFOUND: 'The host name could not be resolved (DNS lookup failed).',
  EAI_AGAIN: 'DNS lookup failed temporarily; the name server did not answer.',
  EHOSTUNREACH: 'The upstream host is unreachable from this machine.',
  ENETUNREACH: 'The network of the upstream host is unreachable.',
  EPIPE: 'The other side closed the connection while data was still being sent.',
  CERT_HAS_EXPIRED: "The upstream's TLS certificate has expired.",
  DEPTH_ZERO_SELF_SIGNED_CERT: 'The upstream uses a self-signed TLS certificate that is not trusted.',
  SELF_SIGNED_CERT_IN_CHAIN: "A self-signed certificate in the upstream's chain is not trusted.",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "The upstream's certificate could not be verified.",
  ERR_TLS_CERT_ALTNAME_INVALID: "The upstream's certificate is not valid for this host name.",
  CLIENT_REJECTED_CERT: 'The client refused the certificate Traffic Recorder presented: it does not trust the Traffic Recorder CA (or pins certificates), so nothing inside this HTTPS connection was recorded.',
  CLIENT_TLS_FAILED: 'The TLS handshake with the client failed: it probably does not trust the Traffic Recorder CA, so nothing inside this HTTPS connection was recorded.',
  client_aborted: 'The client closed the connection before the response was complete.',
  aborted: 'The exchange was aborted before it completed.',
  timeout: 'The exchange took too long and was given up.',
};

export function explainError(error: EntryError): string {
  const known = EXPLANATIONS[error.code] ?? EXPLANATIONS[error.code.toUpperCase()];
  return known ?? 'The exchange failed before a complete response was received.';
}
