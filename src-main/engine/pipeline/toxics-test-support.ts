/**
 * What the toxics' integration tests share: an upstream that says when each request reached it and can hold a
 * body half-sent until the test lets it go, a plain HTTP client that times first and last bytes, and a session
 * started through the real REST API with its entries read back the same way.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Entry } from '../../../src-shared/model.js';
import type { TestServer } from '../../test-support/server.js';

export interface Arrival {
  method: string;
  path: string;
  /** performance.now() when the request head reached the upstream. */
  at: number;
}

export interface Upload {
  bytes: number;
  firstByteAt: number;
  lastByteAt: number;
}

export interface ToxicUpstream {
  url: string;
  port: number;
  arrivals: Arrival[];
  /** `/gated?size=N` sends its first 64 KiB, then waits for this before the rest; resolves when it sent the last. */
  openGate(): void;
  lastWriteAt: () => number | undefined;
  /** Bodies of `POST /upload` as they arrived; `firstUploadByte` resolves at the first byte of the next one. */
  uploads: Upload[];
  firstUploadByte(): Promise<void>;
  close(): Promise<void>;
}

const PATTERN = Buffer.alloc(64 * 1024, 0);
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = i % 251;

/** An upstream on `host` (any 127.x address): every request is counted before anything else happens. */
export async function startToxicUpstream(host = '127.0.0.1'): Promise<ToxicUpstream> {
  const arrivals: Arrival[] = [];
  const uploads: Upload[] = [];
  let gate: () => void = () => undefined;
  let gateOpen = new Promise<void>((resolve) => (gate = resolve));
  let lastWriteAt: number | undefined;
  let uploadStarted: Array<() => void> = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    arrivals.push({ method: req.method ?? 'GET', path: url.pathname, at: performance.now() });
    if (url.pathname === '/gated') {
      const size = Number(url.searchParams.get('size'));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      res.write(PATTERN.subarray(0, Math.min(size, PATTERN.length)));
      void gateOpen.then(() => writeRest(res, PATTERN.length, size, () => (lastWriteAt = performance.now())));
      return;
    }
    if (url.pathname === '/upload') {
      const upload: Upload = { bytes: 0, firstByteAt: 0, lastByteAt: 0 };
      uploads.push(upload);
      req.on('data', (chunk: Buffer) => {
        if (upload.bytes === 0) {
          upload.firstByteAt = performance.now();
          for (const wake of uploadStarted.splice(0)) wake();
        }
        upload.bytes += chunk.length;
        upload.lastByteAt = performance.now();
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ bytes: upload.bytes }));
      });
      return;
    }
    req.resume();
    const body = `ok ${req.method} ${url.pathname}`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    arrivals,
    uploads,
    openGate: () => gate(),
    lastWriteAt: () => lastWriteAt,
    firstUploadByte: () => new Promise<void>((resolve) => uploadStarted.push(resolve)),
    close: async () => {
      gate();
      gateOpen = Promise.resolve();
      uploadStarted = [];
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function writeRest(res: http.ServerResponse, from: number, size: number, done: () => void): void {
  let sent = from;
  const pump = () => {
    while (sent < size) {
      const part = PATTERN.subarray(0, Math.min(PATTERN.length, size - sent));
      sent += part.length;
      if (sent >= size) done();
      if (!res.write(part)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

export interface Timed {
  status: number;
  body: Buffer;
  startedAt: number;
  firstByteAt: number;
  endedAt: number;
  socket: unknown;
}

/**
 * One request through `proxyUrl` (a reverse session's address, or a forward proxy when `absolute` is a URL),
 * timed at the client. `onFirstByte` runs when the first body byte arrives.
 */
export function timedRequest(
  proxyUrl: string,
  path: string,
  options: {
    method?: string;
    agent?: http.Agent;
    body?: (req: http.ClientRequest) => void;
    absolute?: string;
    onFirstByte?: () => void;
    /** Body bytes received so far, after each chunk. */
    onProgress?: (received: number) => void;
  } = {},
): Promise<Timed> {
  const proxy = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    let firstByteAt = 0;
    const req = http.request(
      { host: proxy.hostname, port: proxy.port, method: options.method ?? 'GET', path: options.absolute ?? path, agent: options.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          if (firstByteAt === 0) {
            firstByteAt = performance.now();
            options.onFirstByte?.();
          }
          chunks.push(chunk);
          received += chunk.length;
          options.onProgress?.(received);
        });
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), startedAt, firstByteAt, endedAt: performance.now(), socket: req.socket }));
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    if (options.body) options.body(req);
    else req.end();
  });
}

/** Start a session through REST; fails the test with the server's words when it is refused. */
export async function startSession(server: TestServer, config: Record<string, unknown>): Promise<{ id: string; proxyUrl: string; toxics?: unknown }> {
  const res = await server.call('POST', '/start', config);
  if (res.status !== 201) throw new Error(`start refused: ${res.status} ${res.text}`);
  return res.json.session;
}

/** The session's entries once there are at least `count` of them (capture completes just after the client is answered). */
export async function entriesOf(server: TestServer, id: string, count: number, timeoutMs = 10_000): Promise<Entry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await server.call('GET', `/${id}/entries?limit=1000&bodies=false`);
    if (res.json.total >= count) return res.json.entries as Entry[];
    if (Date.now() > deadline) throw new Error(`expected ${count} entries in session ${id}, have ${res.json.total}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The entry of the request to `path` (the first, in capture order). */
export function entryFor(entries: readonly Entry[], path: string): Entry {
  const entry = entries.find((e) => new URL(e.request.url).pathname === path);
  if (!entry) throw new Error(`no entry for ${path} among ${entries.map((e) => e.request.url).join(', ')}`);
  return entry;
}
