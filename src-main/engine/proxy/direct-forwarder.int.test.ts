/**
 * The upstream leg of recorded exchanges through real sockets on 127.0.0.1: raw TCP upstreams that record the
 * exact bytes they receive and answer with scripted bytes, raw clients, curl and undici: first what a proxy must
 * send as mockttp's passthrough did, then the forwarder's own additions (stale-socket retry, loop check, abort
 * mirroring, timings).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { request as undiciRequest } from 'undici';
import { curl } from '../../test-support/curl.js';
import { engineWithUpstream, startEngine, waitForEntries } from '../../test-support/engine.js';
import { startUpstream } from '../../test-support/upstream.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ok = (body = 'ok') => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!().catch(() => undefined);
});

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---- a raw TCP upstream: records each request's exact bytes, answers through a script ----

/** One request as received: its exact bytes, which connection (0-based) and which request on it (0-based). */
type RawRequest = { raw: string; conn: number; index: number };
type RawUpstream = { url: string; port: number; requests: RawRequest[]; connections: () => number };

async function rawUpstream(answer: (socket: net.Socket, request: RawRequest) => void, host = '127.0.0.1'): Promise<RawUpstream> {
  const requests: RawRequest[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    const conn = connections++;
    let index = 0;
    let buf = Buffer.alloc(0);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      buf = Buffer.concat([buf, data]);
      for (;;) {
        const headEnd = buf.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = buf.subarray(0, headEnd + 4).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < headEnd + 4 + length) return;
        const request = { raw: buf.subarray(0, headEnd + 4 + length).toString('latin1'), conn, index: index++ };
        buf = buf.subarray(headEnd + 4 + length);
        requests.push(request);
        answer(socket, request);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as net.AddressInfo).port;
  closers.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, port, requests, connections: () => connections };
}

/** A Node upstream for tests that need its parser; closed after the test. */
async function nodeUpstream(listener: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, server };
}

/** A Node upstream answering "pooled" that counts the TCP connections it accepted. */
async function countingUpstream(): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const { url, server } = await nodeUpstream((_req, res) => res.end('pooled'));
  server.keepAliveTimeout = 30_000;
  server.on('connection', () => connections++);
  return { url, connections: () => connections };
}

// ---- a raw client: exact request bytes out, everything that comes back collected ----

interface RawClient {
  socket: net.Socket;
  write(data: string): void;
  /** Resolves with all unread bytes (latin1) once `done` holds for them, and marks them read. */
  until(done: (text: string) => boolean): Promise<string>;
}

async function rawClient(port: number): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((r) => socket.once('connect', r));
  closers.push(async () => socket.destroy());
  let text = '';
  let waiter: { done: (t: string) => boolean; resolve: (t: string) => void; reject: (e: Error) => void } | undefined;
  const check = () => {
    if (!waiter?.done(text)) return;
    const [got, w] = [text, waiter];
    [text, waiter] = ['', undefined];
    w.resolve(got);
  };
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    check();
  });
  socket.on('close', () => waiter?.reject(new Error(`closed; unread: ${JSON.stringify(text)}`)));
  return {
    socket,
    write: (data) => void socket.write(data, 'latin1'),
    until: (done) => within(new Promise<string>((resolve, reject) => ((waiter = { done, resolve, reject }), check())), 5000, 'raw client'),
  };
}

const headDone = (t: string) => t.includes('\r\n\r\n');
const chunkedDone = (t: string) => t.endsWith('\r\n0\r\n\r\n');
/** A whole Content-Length response. */
const sized = (t: string) => {
  const end = t.indexOf('\r\n\r\n');
  const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(t.slice(0, end))?.[1] ?? 0);
  return end >= 0 && t.length >= end + 4 + length;
};

async function rawGet(port: number, request: string, done: (t: string) => boolean = sized): Promise<string> {
  const client = await rawClient(port);
  client.write(request);
  const reply = await client.until(done);
  client.socket.destroy();
  return reply;
}

describe('forwarder', () => {
  const env = engineWithUpstream();

  it('reverse: prefixes the target path, rewrites Host and keeps every other header in order and case', async () => {
    const up = await rawUpstream((socket) => socket.write(ok()));
    const { session } = await env.engine.recorder.startSession({ targetUrl: `${up.url}/api` });
    const sent = ['X-Mixed-Case: a', 'x-dup: 1', 'User-Agent: raw/1', 'X-Dup: 2', 'accept: */*'];
    const reply = await rawGet(session.listenPort, `GET /v1?x=1 HTTP/1.1\r\nHost: 127.0.0.1:${session.listenPort}\r\n${sent.join('\r\n')}\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
    expect(up.requests).toHaveLength(1);
    // Node's keep-alive agent appends `Connection: keep-alive` when the client sent no Connection header; the
    // direct forwarder marks the request with its Via token (loop detection).
    const received = up.requests[0]!.raw.replace(/Connection: keep-alive\r\n(?=\r\n$)/, '').replace(/Via: 1\.1 traffic-recorder-[0-9a-f]+\r\n/, '');
    expect(received).toBe(`GET /api/v1?x=1 HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\n${sent.join('\r\n')}\r\n\r\n`);
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.request.url).toBe(`${up.url}/api/v1?x=1`);
  });

  it('reverse: an absolute-form request target is sent and recorded as its path under the target', async () => {
    const up = await rawUpstream((socket) => socket.write(ok()));
    const { session } = await env.engine.recorder.startSession({ targetUrl: `${up.url}/pre` });
    const reply = await rawGet(session.listenPort, 'GET http://elsewhere.test/x?y=2 HTTP/1.1\r\nHost: elsewhere.test\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(up.requests[0]!.raw.split('\r\n')[0]).toBe('GET /pre/x?y=2 HTTP/1.1');
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.request.url).toBe(`${up.url}/pre/x?y=2`);
  });

  it("relays the upstream's response head as sent: reason phrase, case, order, duplicates, no Date added", async () => {
    const head = 'HTTP/1.1 299 Fine Indeed\r\nX-First: 1\r\nSet-Cookie: a=1\r\ncontent-TYPE: text/plain\r\nSet-Cookie: b=2\r\nContent-Length: 5\r\n\r\n';
    const up = await rawUpstream((socket) => socket.write(`${head}hello`));
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const reply = await rawGet(session.listenPort, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    // Byte for byte: nothing added (no Date, no Connection/Keep-Alive), nothing reordered or renamed.
    expect(reply).toBe(`${head}hello`);
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.response!.statusCode).toBe(299);
    expect(entry!.response!.headers.filter(([k]) => k === 'Set-Cookie').map(([, v]) => v)).toEqual(['a=1', 'b=2']);
  });

  it('relays a 103 Early Hints answer before the final response', async () => {
    const up = await rawUpstream((socket) => socket.write(`HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n${ok('final')}`));
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const reply = await rawGet(session.listenPort, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', (t) => t.endsWith('final'));
    expect(reply).toMatch(/^HTTP\/1\.1 103 Early Hints\r\nLink: <\/a\.css>; rel=preload\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.response!.statusCode).toBe(200);
  });

  it('relays a chunked response with its trailer and records the whole body', async () => {
    const up = await rawUpstream((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n'),
    );
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const reply = await rawGet(session.listenPort, 'GET /t HTTP/1.1\r\nHost: x\r\nTE: trailers\r\n\r\n', (t) => /\r\n0\r\n(?:[^\r\n]+\r\n)*\r\n$/.test(t));
    const [head, body] = [reply.slice(0, reply.indexOf('\r\n\r\n')), reply.slice(reply.indexOf('\r\n\r\n') + 4)];
    expect(head).toMatch(/\r\nTransfer-Encoding: chunked/i);
    const trailerAt = body.lastIndexOf('\r\n0\r\n');
    const chunks = body.slice(0, trailerAt + 2).split('\r\n').filter((_, i) => i % 2 === 1).join('');
    expect(chunks).toBe('hello world');
    expect(body.slice(trailerAt + 5)).toBe('X-Checksum: abc\r\n\r\n');
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.response!.body.text).toBe('hello world');
  });

  it('streams a 5 MiB chunked upload upstream whole and records its size, truncated at 1 MiB', async () => {
    const part = Buffer.alloc(64 * 1024);
    for (let i = 0; i < part.length; i++) part[i] = (i * 7) % 256;
    const upload = Buffer.concat(Array.from({ length: 80 }, () => part));
    const { session } = await env.engine.recorder.startSession({ targetUrl: env.upstream.url });
    const before = env.upstream.requests.length;
    const res = await undiciRequest(`${session.proxyUrl}/echo?upload=1`, {
      method: 'POST',
      body: Readable.from((function* () { for (let i = 0; i < 80; i++) yield part; })()),
    });
    expect(res.statusCode).toBe(200);
    expect(sha(Buffer.from(await res.body.arrayBuffer()))).toBe(sha(upload));
    const received = env.upstream.requests.slice(before).find((r) => r.url === '/echo?upload=1')!;
    expect(received.headers['transfer-encoding']).toBe('chunked');
    expect(sha(received.body)).toBe(sha(upload));
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.request.body).toMatchObject({ size: upload.length, capturedSize: 1024 * 1024, truncated: true });
  });

  it('answers Expect: 100-continue and forwards and records the upload', async () => {
    const file = path.join(env.engine.dataDir, 'upload.bin');
    const data = Buffer.alloc(2_000_000);
    for (let i = 0; i < data.length; i++) data[i] = i % 253;
    await fs.writeFile(file, data);
    const { session } = await env.engine.recorder.startSession({ targetUrl: env.upstream.url });
    const res = await curl(['-v', '-H', 'Expect: 100-continue', '--data-binary', `@${file}`, `${session.proxyUrl}/echo`]);
    expect(res.status).toBe(200);
    expect(res.stderr).toMatch(/< HTTP\/1\.1 100 Continue/);
    expect(sha(res.body)).toBe(sha(data));
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.request.method).toBe('POST');
    expect(entry!.request.body.size).toBe(data.length);
    expect(entry!.response!.statusCode).toBe(200);
    expect(entry!.response!.body.size).toBe(data.length);
  });

  it('answers HEAD, 204 and 304 without a body and keeps the client connection usable', async () => {
    const { session } = await env.engine.recorder.startSession({ targetUrl: env.upstream.url });
    const client = await rawClient(session.listenPort);
    const request = (method: string, target: string) => `${method} ${target} HTTP/1.1\r\nHost: x\r\n\r\n`;
    client.write(request('HEAD', '/json'));
    expect(await client.until(headDone)).toMatch(/^HTTP\/1\.1 200 [^]*\r\n\r\n$/);
    client.write(request('GET', '/status/204'));
    expect(await client.until(headDone)).toMatch(/^HTTP\/1\.1 204 [^]*\r\n\r\n$/);
    client.write(request('GET', '/status/304'));
    expect(await client.until(headDone)).toMatch(/^HTTP\/1\.1 304 [^]*\r\n\r\n$/);
    client.write(request('GET', '/json'));
    expect(await client.until(chunkedDone)).toMatch(/^HTTP\/1\.1 200 [^]*\r\n\r\n25\r\n\{"ok":true,"path":"\/json","query":""\}\r\n0\r\n\r\n$/);
    const entries = await waitForEntries(env.engine.recorder, session.id, 4);
    expect(entries.map((e) => [e.request.method, e.response?.statusCode])).toEqual([['HEAD', 200], ['GET', 204], ['GET', 304], ['GET', 200]]);
    expect(entries.every((e) => e.error === undefined)).toBe(true);
  });

  it('sends 20 sequential requests of one keep-alive client over one upstream connection', async () => {
    const up = await countingUpstream();
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const client = await rawClient(session.listenPort);
    for (let i = 0; i < 20; i++) {
      client.write(`GET /p${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(await client.until((t) => t.endsWith('pooled'))).toMatch(/^HTTP\/1\.1 200 /);
    }
    expect(up.connections()).toBe(1);
  });

  it('forward: sends origin-form with the client headers and without proxy-only headers', async () => {
    const up = await rawUpstream((socket) => socket.write(ok('fwd')));
    const { session } = await env.engine.recorder.startSession({ mode: 'forward' });
    const target = `${up.url}/p/q?z=1`;
    const res = await curl(['-x', session.proxyUrl, '--proxy-user', 'u:secret', '-H', 'Proxy-Connection: keep-alive', '-H', 'X-Client: Yes', target]);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('fwd');
    const [received] = up.requests;
    expect(received!.raw.split('\r\n')[0]).toBe('GET /p/q?z=1 HTTP/1.1');
    expect(received!.raw).toContain(`\r\nHost: 127.0.0.1:${up.port}\r\n`);
    expect(received!.raw).toContain('\r\nX-Client: Yes\r\n');
    expect(received!.raw).not.toMatch(/proxy-(connection|authorization)/i);
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.request.url).toBe(target);
  });

  // Shapes mockttp's passthrough used to take: our forwarder places them itself, or refuses them in words.
  it('reverse: sends OPTIONS * as asterisk-form, without the path prefix', async () => {
    const up = await rawUpstream((socket) => socket.write(ok('star')));
    const { session } = await env.engine.recorder.startSession({ targetUrl: `${up.url}/pre` });
    const reply = await rawGet(session.listenPort, `OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1:${session.listenPort}\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nstar$/);
    expect(up.requests[0]!.raw.split('\r\n')[0]).toBe('OPTIONS * HTTP/1.1');
    expect(up.requests[0]!.raw).toContain(`\r\nHost: 127.0.0.1:${up.port}\r\n`);
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.request.method).toBe('OPTIONS');
  });

  it("forward: an origin-form request outside a tunnel goes to the host its Host header names (a transparent proxy's traffic)", async () => {
    const up = await rawUpstream((socket) => socket.write(ok('transparent')));
    const { session } = await env.engine.recorder.startSession({ mode: 'forward' });
    const reply = await rawGet(session.listenPort, `GET /t?x=1 HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\nX-Seen: 1\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\ntransparent$/);
    expect(up.requests[0]!.raw.split('\r\n')[0]).toBe('GET /t?x=1 HTTP/1.1');
    expect(up.requests[0]!.raw).toContain('\r\nX-Seen: 1\r\n');
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.request.url).toBe(`${up.url}/t?x=1`);
  });

  it('refuses with a 400 in words a request target it cannot place, and sends nothing upstream', async () => {
    const up = await rawUpstream((socket) => socket.write(ok()));
    const { session } = await env.engine.recorder.startSession({ mode: 'forward' });
    const reply = await rawGet(session.listenPort, `GET ftp://127.0.0.1:${up.port}/file HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain('is not a URL this proxy can forward to');
    const noHost = await rawGet(session.listenPort, 'GET /nowhere HTTP/1.0\r\n\r\n');
    expect(noHost).toMatch(/^HTTP\/1\.1 400 /);
    expect(up.requests).toHaveLength(0);
  });
});

describe('forwarder additions', () => {
  const env = engineWithUpstream();

  it('pools upstream connections across separate client connections (per session, not per client)', async () => {
    const up = await countingUpstream();
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    for (let i = 0; i < 20; i++) {
      expect(await rawGet(session.listenPort, `GET /p${i} HTTP/1.1\r\nHost: x\r\n\r\n`, (t) => t.endsWith('pooled'))).toMatch(/^HTTP\/1\.1 200 /);
    }
    expect(up.connections()).toBeGreaterThan(0);
    expect(up.connections()).toBeLessThan(20);
    await waitForEntries(env.engine.recorder, session.id, 20);
  });

  it('breaks the client transfer when the upstream closes mid-body, records the error, and keeps working', async () => {
    const up = await rawUpstream((socket, request) => {
      if (request.conn > 0) return void socket.write(ok('after'));
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1000)}`);
      setTimeout(() => socket.destroy(), 50);
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const broken = await curl([`${session.proxyUrl}/cut`]);
    expect(broken.exitCode).toBe(18);
    expect(broken.body.length).toBeLessThan(100_000);
    const next = await curl([`${session.proxyUrl}/next`]);
    expect(next.status).toBe(200);
    expect(next.body.toString()).toBe('after');
    const [cut, after] = await waitForEntries(env.engine.recorder, session.id, 2);
    expect(cut!.request.url).toBe(`${up.url}/cut`);
    expect(cut!.response!.statusCode).toBe(200);
    expect(cut!.error?.code).toBe('ECONNRESET');
    expect(after!.error).toBeUndefined();
  });

  it('retries a body-less request once when a pooled socket was closed by the upstream, never one with a body', async () => {
    // Every connection answers its first request and drops the second unanswered: an idle-close race.
    const up = await rawUpstream((socket, request) => (request.index === 0 ? socket.write(ok('fresh')) : socket.destroy()));
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    expect((await curl([`${session.proxyUrl}/a`])).status).toBe(200);
    const second = await curl([`${session.proxyUrl}/b`]);
    expect(second.status).toBe(200);
    expect(second.body.toString()).toBe('fresh');
    expect(up.connections()).toBe(2);
    expect(up.requests.map((r) => [r.conn, r.raw.split(' ')[1]])).toEqual([[0, '/a'], [0, '/b'], [1, '/b']]);

    // The pooled socket is connection 1, which will drop this POST: no second attempt, a 502 instead.
    const post = await curl(['--data-binary', 'payload', `${session.proxyUrl}/c`]);
    expect(post.status).toBe(502);
    expect(post.body.toString()).toMatch(/closed the connection/);
    expect(up.connections()).toBe(2);
    const entries = await waitForEntries(env.engine.recorder, session.id, 3);
    expect(entries.map((e) => e.response?.statusCode)).toEqual([200, 200, 502]);
    expect(entries[2]!.error?.code).toBe('ECONNRESET');
  });

  it('never resends a request whose method is not idempotent, even without a body', async () => {
    const up = await rawUpstream((socket, request) => (request.index === 0 ? socket.write(ok('fresh')) : socket.destroy()));
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    expect((await curl([`${session.proxyUrl}/warm`])).status).toBe(200);
    // A body-less POST (cancel, logout...) on the pooled socket the upstream drops after reading it: the upstream
    // may have acted on it, so sending it again could do the action twice (RFC 9110 9.2.2).
    const post = await curl(['-X', 'POST', `${session.proxyUrl}/jobs/1/cancel`]);
    expect(up.requests.filter((r) => r.raw.startsWith('POST '))).toHaveLength(1);
    expect(post.status).toBe(502);
  });

  it('answers 508 for a forward request that points back at the session itself, and keeps working', async () => {
    const { session } = await env.engine.recorder.startSession({ mode: 'forward' });
    const looped = await curl(['-x', session.proxyUrl, `http://127.0.0.1:${session.listenPort}/x`], { timeoutMs: 10_000 });
    // Fails cleanly: an answer (ideally 508), not a hang or a dropped connection.
    expect(looped.exitCode).toBe(0);
    expect(looped.status).toBeGreaterThanOrEqual(400);
    const entries = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entries.map((e) => e.error?.code)).toContain('LOOP');
    expect((await curl(['-x', session.proxyUrl, `${env.upstream.url}/json`])).status).toBe(200);
  });

  it('answers 508 naming the loop for a reverse session whose target is itself', async () => {
    // A free port is only known once bound: try from the top of the range, away from other tests' sessions.
    let session: Awaited<ReturnType<typeof env.engine.recorder.startSession>>['session'] | undefined;
    for (let port = 8999; !session && port > 8980; port--) {
      session = await env.engine.recorder.startSession({ listenPort: port, targetUrl: `http://127.0.0.1:${port}` }).then((r) => r.session, () => undefined);
    }
    expect(session).toBeDefined();
    const looped = await curl([`${session!.proxyUrl}/y`], { timeoutMs: 10_000 });
    expect(looped.status).toBe(508);
    expect(looped.body.toString()).toMatch(/points back at this proxy.*\(LOOP\)/);
    const entries = await waitForEntries(env.engine.recorder, session!.id, 1);
    expect(entries.map((e) => e.error?.code)).toContain('LOOP');
    expect(entries.every((e) => e.response?.statusCode === 508)).toBe(true);
  });

  it('holds the upstream back while a slow client catches up, and delivers every byte in order', async () => {
    const body = Buffer.alloc(24 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
    let upstreamWaited = false;
    const { url } = await nodeUpstream((_req, res) => {
      res.writeHead(200, { 'content-length': body.length });
      let offset = 0;
      const pump = () => {
        while (offset < body.length) {
          const ok = res.write(body.subarray(offset, offset + 256 * 1024));
          offset += 256 * 1024;
          if (!ok) {
            upstreamWaited = true;
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: url });
    const socket = net.connect(session.listenPort, '127.0.0.1');
    closers.push(async () => socket.destroy());
    await new Promise<void>((r) => socket.once('connect', r));
    socket.pause();
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 500));
    const chunks: Buffer[] = [];
    let total = 0;
    const reply = await within(
      new Promise<Buffer>((resolve, reject) => {
        socket.on('data', (d: Buffer) => {
          chunks.push(d);
          total += d.length;
          const joined = total > body.length ? Buffer.concat(chunks) : undefined;
          const headEnd = joined?.indexOf('\r\n\r\n') ?? -1;
          if (joined && headEnd >= 0 && joined.length >= headEnd + 4 + body.length) resolve(joined.subarray(headEnd + 4));
        });
        socket.once('close', () => reject(new Error(`closed after ${total} bytes`)));
        socket.resume();
      }),
      30_000,
      'slow client',
    );
    expect(sha(reply)).toBe(sha(body));
    // The upstream had to wait: nothing buffered the whole 24 MiB on its behalf.
    expect(upstreamWaited).toBe(true);
  });

  it('closes the upstream request when the client goes away mid-response', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    const up = await nodeUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('tick\n'), 50);
      res.once('close', () => {
        clearInterval(timer);
        upstreamClosed();
      });
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const client = await rawClient(session.listenPort);
    client.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.until((t) => t.includes('tick'));
    client.socket.destroy();
    await within(closed, 5000, 'upstream close');
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.error?.code).toBe('ABORTED');
  });

  it('gives up on an upstream that does not answer within upstreamTimeoutMs', async () => {
    const slow = await startEngine({ limits: { upstreamTimeoutMs: 300 } });
    closers.push(() => slow.close());
    const { session } = await slow.recorder.startSession({ targetUrl: env.upstream.url });
    const hung = await curl([`${session.proxyUrl}/hang`]);
    expect(hung.status).toBe(502);
    expect(hung.body.toString()).toMatch(/did not answer in time/);
    const [entry] = await waitForEntries(slow.recorder, session.id, 1);
    expect(entry!.error?.code).toBe('ETIMEDOUT');
  });

  it('forwards to an https target, verifying its certificate unless told not to', async () => {
    const tls = await startUpstream({ https: true });
    closers.push(() => tls.close());
    const { session } = await env.engine.recorder.startSession({ targetUrl: tls.url, ignoreUpstreamCertErrors: true });
    const res = await curl([`${session.proxyUrl}/json`]);
    expect(res.status).toBe(200);
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.timings.tlsMs).toBeGreaterThanOrEqual(0);
    const { session: strict } = await env.engine.recorder.startSession({ targetUrl: tls.url });
    const refused = await curl([`${strict.proxyUrl}/json`]);
    expect(refused.status).toBe(502);
    expect(refused.body.toString()).toMatch(/TLS/);
  });

  it('forwards to an IPv6 loopback target with its path prefix and bracketed Host', async () => {
    const v6 = await rawUpstream((socket) => socket.write(ok('v6')), '::1');
    const { session } = await env.engine.recorder.startSession({ targetUrl: `${v6.url}/pre` });
    const res = await curl([`${session.proxyUrl}/q?a=1`]);
    expect(res.body.toString()).toBe('v6');
    expect(v6.requests[0]!.raw).toMatch(new RegExp(`^GET /pre/q\\?a=1 HTTP/1\\.1\r\nHost: \\[::1\\]:${v6.port}\r\n`));
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.request.url).toBe(`${v6.url}/pre/q?a=1`);
  });

  it('works in a proxy worker process', async () => {
    const pooled = await startEngine({ proxyWorkers: 1 });
    closers.push(() => pooled.close());
    const { session } = await pooled.recorder.startSession({ targetUrl: env.upstream.url });
    const res = await curl([`${session.proxyUrl}/json?worker=1`]);
    expect(res.status).toBe(200);
    const [entry] = await waitForEntries(pooled.recorder, session.id, 1);
    expect(entry!.request.url).toBe(`${env.upstream.url}/json?worker=1`);
    expect(entry!.response!.statusCode).toBe(200);
    expect(entry!.response!.body.text).toBe(res.body.toString());
  });
});
