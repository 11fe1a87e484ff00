import type { Entry } from '../../../../src-shared/model.js';
import type { SessionRecord } from '../store-types.js';

export function makeSession(id: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id,
    name: `session ${id}`,
    mode: 'reverse',
    targetUrl: 'https://api.example.test',
    listenPort: 8081,
    listenHost: '127.0.0.1',
    namespace: 'default',
    filters: { excludeHosts: ['telemetry.example.test'] },
    status: 'running',
    createdAt: '2024-01-01T00:00:00.000Z',
    startedAt: '2024-01-01T00:00:00.000Z',
    expiresAt: '2024-01-02T00:00:00.000Z',
    ...overrides,
  };
}

/** About 2 KB of JSON, shaped like a real captured exchange. */
export function makeEntry(sessionId: string, id: string, overrides: Partial<Entry> = {}): Entry {
  const headers: [string, string][] = [
    ['Host', 'api.example.test'],
    ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'],
    ['Accept', 'application/json, text/plain, */*'],
    ['Accept-Encoding', 'gzip, deflate, br'],
    ['Authorization', 'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop'],
    ['Cookie', 'session=0123456789abcdef0123456789abcdef; theme=dark; lang=en-US'],
    ['X-Request-Id', `req-${id}`],
    ['Traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['Referer', 'https://app.example.test/orders/checkout?step=payment&variant=b'],
    ['Accept-Language', 'en-US,en;q=0.9,de;q=0.8'],
  ];
  return {
    id,
    sessionId,
    entryType: 'http',
    startedAt: new Date(1_700_000_000_000).toISOString(),
    request: {
      method: 'POST',
      url: `https://api.example.test/v1/orders/${id}?expand=items&include=customer,shipping`,
      httpVersion: '1.1',
      headers,
      body: { size: 120, capturedSize: 120, truncated: false, contentType: 'application/json' },
      remoteAddress: '127.0.0.1',
      remotePort: 54321,
    },
    response: {
      statusCode: 200,
      statusMessage: 'OK',
      httpVersion: '1.1',
      headers: [
        ['Content-Type', 'application/json; charset=utf-8'],
        ['Cache-Control', 'no-store, no-cache, must-revalidate'],
        ['Set-Cookie', 'session=0123456789abcdef0123456789abcdef; Path=/; HttpOnly; Secure; SameSite=Lax'],
        ['Strict-Transport-Security', 'max-age=63072000; includeSubDomains; preload'],
        ['Content-Security-Policy', "default-src 'self'; script-src 'self' https://cdn.example.test"],
        ['X-Request-Id', `req-${id}`],
        ['Date', 'Tue, 14 Nov 2023 22:13:20 GMT'],
      ],
      body: { size: 400, capturedSize: 400, truncated: false, contentType: 'application/json', contentEncoding: 'gzip' },
    },
    durationMs: 42,
    timings: { dnsMs: 1, connectMs: 3, tlsMs: 8, sendMs: 0, waitMs: 25, recvMs: 5, totalMs: 42 },
    tags: [],
    notes: '',
    mapLocal: false,
    ...overrides,
  };
}

/** Deterministic body bytes, so a reader can check them without having kept a copy. */
export function bodyFor(id: string, side: 'request' | 'response', size: number): Buffer {
  const seed = Buffer.from(`${side}:${id}:`);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = seed[i % seed.length] as number;
  return out;
}
