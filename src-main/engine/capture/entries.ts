import { randomUUID } from 'node:crypto';
import type { ClientError } from 'mockttp';
import type { Entry, HeaderPair } from '../../../src-shared/model.js';
import type { EntryBodies, SessionRecord } from '../store/store-types.js';
import { buildHttpEntry } from './entry-builder.js';
import type { CapturedExchange } from './http-capture.js';
import { noUpstreamTimings } from './upstream-timings.js';
import type { TunnelRecord } from '../sessions/proxy-session.js';

/** A finished entry and its raw body bytes, ready for the store (built where the traffic was captured). */
export interface CapturedEntry {
  entry: Entry;
  bodies: EntryBodies;
}

export function httpEntry(config: SessionRecord, exchange: CapturedExchange): CapturedEntry {
  const built = buildHttpEntry(config.id, exchange);
  if (config.ignoreUpstreamCertErrors && built.entry.request.url.startsWith('https:')) built.entry.upstreamCertErrorsIgnored = true;
  return built;
}

export function tunnelEntry(sessionId: string, tunnel: TunnelRecord): CapturedEntry {
  const entry: Entry = {
    id: randomUUID(),
    sessionId,
    entryType: 'tunnel',
    startedAt: new Date(tunnel.startedAt).toISOString(),
    request: {
      method: 'CONNECT',
      url: `${tunnel.host.includes(':') ? `[${tunnel.host}]` : tunnel.host}:${tunnel.port}`,
      httpVersion: '1.1',
      headers: [],
      body: { size: tunnel.bytesUp, capturedSize: 0, truncated: tunnel.bytesUp > 0 },
      remoteAddress: tunnel.remoteAddress,
      remotePort: tunnel.remotePort,
    },
    durationMs: tunnel.durationMs,
    timings: noUpstreamTimings(tunnel.durationMs),
    tags: [],
    notes: '',
    mapLocal: false,
    tunnel: { host: tunnel.host, port: tunnel.port, bytesUp: tunnel.bytesUp, bytesDown: tunnel.bytesDown, durationMs: tunnel.durationMs },
  };
  if (tunnel.error) entry.error = { code: tunnel.error, message: `the tunnel failed: ${tunnel.error}` };
  return { entry, bodies: {} };
}

/** Why the proxy's HTTP parser refused a request (Node/llhttp error codes), in words a user acts on. */
const REFUSALS: Record<string, string> = {
  HPE_INVALID_HEADER_TOKEN: 'a header line is malformed (an obs-fold continuation line, or a character HTTP forbids in a header)',
  HPE_INVALID_URL: 'the request target contains a character HTTP does not allow unencoded (e.g. a raw non-ASCII byte or a space)',
  HPE_INVALID_METHOD: 'the request method is not a valid token',
  HPE_INVALID_VERSION: 'the HTTP version is not one this proxy speaks',
  HPE_HEADER_OVERFLOW: 'the request head is larger than the proxy accepts',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'the request has both Content-Length and Transfer-Encoding (a request smuggling shape)',
  HPE_INVALID_TRANSFER_ENCODING: 'the request Transfer-Encoding does not end with chunked (a request smuggling shape)',
  HPE_INVALID_CONTENT_LENGTH: 'the request Content-Length is not a single number',
  HPE_INVALID_CHUNK_SIZE: 'the request body has a malformed chunk size',
  HPE_LF_EXPECTED: 'a line of the request head does not end in CRLF',
  HPE_CR_EXPECTED: 'a line of the request head does not end in CRLF',
};

/**
 * An entry for a request the proxy refused before it could be handled (mockttp's `client-error`), saying why.
 * Undefined for what is not a request at all: a client that connected and left, bytes with no request line.
 */
export function clientErrorEntry(sessionId: string, error: ClientError): CapturedEntry | undefined {
  const { request, response } = error;
  const code = error.errorCode ?? 'CLIENT_ERROR';
  if (!request.method || !REFUSALS[code]) return undefined;
  const headers: HeaderPair[] = request.rawHeaders.map(([name, value]) => [name, value]);
  const startedAt = request.timingEvents?.startTime ?? Date.now();
  const entry: Entry = {
    id: randomUUID(),
    sessionId,
    entryType: 'http',
    startedAt: new Date(startedAt).toISOString(),
    request: {
      method: request.method,
      url: request.url ?? request.path ?? '',
      httpVersion: request.httpVersion,
      headers,
      body: { size: 0, capturedSize: 0, truncated: false },
      remoteAddress: request.remoteIpAddress,
      remotePort: request.remotePort,
    },
    durationMs: 0,
    timings: noUpstreamTimings(),
    tags: [],
    notes: '',
    mapLocal: false,
    error: { code, message: `the proxy refused the request before forwarding it: ${REFUSALS[code]}` },
  };
  if (response !== 'aborted') {
    entry.response = {
      statusCode: response.statusCode,
      statusMessage: response.statusMessage,
      httpVersion: '1.1',
      headers: response.rawHeaders.map(([name, value]) => [name, value]),
      body: { size: 0, capturedSize: 0, truncated: false },
    };
  }
  return { entry, bodies: {} };
}
