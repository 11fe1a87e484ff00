/**
 * Forwarder fidelity (issue 8, points 4, 11, 12, 13, 15, 16, 18, 19) through real sockets on 127.0.0.1: raw TCP
 * upstreams that write exact bytes when the test says so, raw clients and curl. Every wait is for a condition
 * (bytes seen, a socket closed), never for a time.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HeaderPair } from '../../../src-shared/model.js';
import { curl } from '../../test-support/curl.js';
import { engineWithUpstream, waitForEntries, type TestEngine } from '../../test-support/engine.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!().catch(() => undefined);
});

/** One end of a raw TCP connection: every byte received (latin1), and a way to wait for a condition on them. */
interface Peer {
  socket: net.Socket;
  received(): string;
  /** Resolves with everything received so far once `done` holds for it. */
  until(done: (text: string) => boolean, what?: string): Promise<string>;
  closed: Promise<void>;
}

function peer(socket: net.Socket): Peer {
  let text = '';
  const waiters = new Set<() => void>();
  socket.on('error', () => undefined);
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return {
    socket,
    closed,
    received: () => text,
    until: (done, what = 'peer') =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${what}: condition not met within 5 s; got ${JSON.stringify(text)}`));
        }, 5000);
        const check = () => {
          if (!done(text)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(text);
        };
        waiters.add(check);
        check();
      }),
  };
}

/** A raw upstream: `script` runs once per accepted connection and writes whatever bytes the test wants. */
async function rawUpstream(script: (conn: Peer, index: number) => Promise<void> | void): Promise<{ url: string; port: number; conns: Peer[] }> {
  const conns: Peer[] = [];
  const server = net.createServer((socket) => {
    const conn = peer(socket);
    conns.push(conn);
    Promise.resolve(script(conn, conns.length - 1)).catch(() => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  closers.push(() => {
    for (const c of conns) c.socket.destroy();
    return new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${port}`, port, conns };
}

async function rawClient(port: number): Promise<Peer> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
  closers.push(async () => socket.destroy());
  return peer(socket);
}

const headDone = (t: string) => t.includes('\r\n\r\n');
const ok = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const headOf = (t: string) => t.slice(0, t.indexOf('\r\n\r\n') + 4);
const bodyOf = (t: string) => t.slice(t.indexOf('\r\n\r\n') + 4);

/** The header lines of a raw request head, as pairs. */
function wirePairs(raw: string): HeaderPair[] {
  return headOf(raw)
    .split('\r\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]);
}

describe('direct forwarder fidelity', () => {
  const env = engineWithUpstream();

  // ---- point 4 ----

  it('relays the response head before the upstream sends any body byte (SSE, long polling)', async () => {
    let clientHasHead!: () => void;
    const headSeen = new Promise<void>((r) => (clientHasHead = r));
    const up = await rawUpstream(async (conn) => {
      await conn.until(headDone);
      conn.socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n');
      await headSeen;
      conn.socket.write('d\r\ndata: hello\n\n\r\n0\r\n\r\n');
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const client = await rawClient(session.listenPort);
    client.socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    const head = await client.until(headDone, 'client waiting for the head');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Content-Type: text\/event-stream\r\n[^]*\r\n\r\n$/);
    clientHasHead();
    await client.until((t) => t.endsWith('\r\n0\r\n\r\n'), 'client waiting for the body');
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.response!.body.text).toBe('data: hello\n\n');
  });

  // ---- point 11 ----

  it('lets the upstream refuse `Expect: 100-continue`: its 417 reaches the client before any body is sent', async () => {
    const up = await rawUpstream(async (conn) => {
      await conn.until(headDone);
      conn.socket.write('HTTP/1.1 417 Expectation Failed\r\nContent-Length: 4\r\n\r\nnope');
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const client = await rawClient(session.listenPort);
    client.socket.write('PUT /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n');
    const reply = await client.until((t) => t.endsWith('nope'), 'client waiting for the 417');
    // Not a 100 Continue of our own first: the upstream decided.
    expect(reply).toMatch(/^HTTP\/1\.1 417 Expectation Failed\r\n/);
    expect(up.conns[0]!.received()).toMatch(/\r\nExpect: 100-continue\r\n/);
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.response!.statusCode).toBe(417);
    expect(entry!.request.body.size).toBe(0);
    expect(entry!.error).toBeUndefined();
  });

  it("relays the upstream's 100 Continue to the client that asked for it, then the body, and records the interim answer", async () => {
    const up = await rawUpstream(async (conn) => {
      await conn.until(headDone);
      conn.socket.write('HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n');
      await conn.until((t) => t.endsWith('0123456789'));
      conn.socket.write(ok('stored'));
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const client = await rawClient(session.listenPort);
    client.socket.write('PUT /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n');
    expect(await client.until(headDone, 'client waiting for 100')).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    client.socket.write('0123456789');
    expect(await client.until((t) => t.endsWith('stored'))).toMatch(/\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.request.body.size).toBe(10);
    expect(entry!.response!.interim).toEqual([{ statusCode: 100, statusMessage: 'Continue', headers: [['X-Interim', 'yes']] }]);
  });

  it('records 103 Early Hints and the trailers of both directions', async () => {
    const up = await rawUpstream(async (conn) => {
      await conn.until((t) => t.endsWith('\r\n0\r\nX-Req-Sum: 42\r\n\r\n'));
      conn.socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n');
      conn.socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n');
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const client = await rawClient(session.listenPort);
    client.socket.write('POST /t HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nTransfer-Encoding: chunked\r\nTrailer: X-Req-Sum\r\n\r\n2\r\nhi\r\n0\r\nX-Req-Sum: 42\r\n\r\n');
    await client.until((t) => t.endsWith('X-Checksum: abc\r\n\r\n'));
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.request.trailers).toEqual([['X-Req-Sum', '42']]);
    expect(entry!.response!.interim).toEqual([{ statusCode: 103, statusMessage: 'Early Hints', headers: [['Link', '</a.css>; rel=preload']] }]);
    expect(entry!.response!.trailers).toEqual([['X-Checksum', 'abc']]);
  });

  // ---- point 12 ----

  it('answers an HTTP/1.0 client without chunked framing: a close-delimited body', async () => {
    const up = await rawUpstream(async (conn) => {
      await conn.until(headDone);
      conn.socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n');
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const client = await rawClient(session.listenPort);
    client.socket.write('GET /old HTTP/1.0\r\nHost: x\r\n\r\n');
    await client.closed;
    const reply = client.received();
    expect(headOf(reply)).not.toMatch(/transfer-encoding|trailer/i);
    expect(bodyOf(reply)).toBe('hello world');
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.request.httpVersion).toBe('1.0');
    expect(entry!.response!.body.text).toBe('hello world');
  });

  it("records an HTTP/1.0 upstream's version and gives an HTTP/1.1 client its close-delimited body whole", async () => {
    const up = await rawUpstream(async (conn) => {
      await conn.until(headDone);
      conn.socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold body');
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const res = await curl(['-i', `${session.proxyUrl}/v10`]);
    // The status line names the proxy's own version (RFC 9110 2.5); the entry keeps the upstream's.
    expect(res.body.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(bodyOf(res.body.toString())).toBe('old body');
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.response!.httpVersion).toBe('1.0');
  });

  // ---- point 13 ----

  it('delivers the declared Content-Length of an over-long response and records the excess as an error', async () => {
    const up = await rawUpstream(async (conn, index) => {
      await conn.until(headDone);
      conn.socket.write(index === 0 ? 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello0123456789ABCDEF' : ok('next'));
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const client = await rawClient(session.listenPort);
    client.socket.write('GET /long HTTP/1.1\r\nHost: x\r\n\r\n');
    const reply = await client.until((t) => t.endsWith('hello'), 'client waiting for the declared body');
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\nContent-Length: 5\r\n\r\nhello$/);
    // The client connection stays usable; the spoiled upstream connection is not reused.
    client.socket.write('GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.until((t) => t.endsWith('next'));
    const [entry, next] = await waitForEntries(env.engine.recorder, session.id, 2);
    expect(entry!.response!.statusCode).toBe(200);
    expect(entry!.response!.body.text).toBe('hello');
    expect(entry!.error?.code).toBe('UPSTREAM_EXCESS_DATA');
    expect(entry!.error?.message).toMatch(/more than its response declared/);
    expect(next!.error).toBeUndefined();
  });

  it('gives an entry with an error, and the client a broken transfer, for a bad chunk size', async () => {
    const up = await rawUpstream(async (conn) => {
      await conn.until(headDone);
      conn.socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n');
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const res = await curl([`${session.proxyUrl}/chunks`]);
    expect(res.exitCode).not.toBe(0);
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.error?.code).toBe('HPE_INVALID_CHUNK_SIZE');
    expect(entry!.error?.message).toMatch(/malformed HTTP response/);
  });

  // ---- point 15 ----

  it('records the request as the client sent it and, apart, as the upstream received it (reverse)', async () => {
    const up = await rawUpstream(async (conn) => {
      await conn.until(headDone);
      conn.socket.write(ok('fine'));
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: `${up.url}/api` });
    const client = await rawClient(session.listenPort);
    client.socket.write(`GET /v1 HTTP/1.1\r\nHost: 127.0.0.1:${session.listenPort}\r\nX-Mine: 1\r\n\r\n`);
    await client.until((t) => t.endsWith('fine'));
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.request.headers).toEqual([['Host', `127.0.0.1:${session.listenPort}`], ['X-Mine', '1']]);
    expect(entry!.upstreamRequest!.method).toBe('GET');
    expect(entry!.upstreamRequest!.url).toBe(`${up.url}/api/v1`);
    // Exactly the header lines the upstream read, in its order.
    expect(entry!.upstreamRequest!.headers).toEqual(wirePairs(up.conns[0]!.received()));
    expect(entry!.upstreamRequest!.headers[0]).toEqual(['Host', `127.0.0.1:${up.port}`]);
  });

  it('records proxy-only headers on the client request and not on the upstream one (forward)', async () => {
    const up = await rawUpstream(async (conn) => {
      await conn.until(headDone);
      conn.socket.write(ok('fwd'));
    });
    const { session } = await env.engine.recorder.startSession({ mode: 'forward' });
    const res = await curl(['-x', session.proxyUrl, '--proxy-user', 'u:secret', `${up.url}/p`]);
    expect(res.status).toBe(200);
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    const names = (pairs: HeaderPair[]) => pairs.map(([n]) => n.toLowerCase());
    expect(names(entry!.request.headers)).toContain('proxy-authorization');
    expect(names(entry!.upstreamRequest!.headers)).not.toContain('proxy-authorization');
    expect(entry!.upstreamRequest!.headers).toEqual(wirePairs(up.conns[0]!.received()));
  });

  // ---- point 16 ----

  it('unfolds an obs-fold response header (RFC 9112 5.2) instead of answering 502', async () => {
    const up = await rawUpstream(async (conn) => {
      await conn.until(headDone);
      conn.socket.write('HTTP/1.1 200 OK\r\nX-Folded: first\r\n  second\r\nContent-Length: 2\r\n\r\nok');
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const client = await rawClient(session.listenPort);
    client.socket.write('GET /fold HTTP/1.1\r\nHost: x\r\n\r\n');
    const reply = await client.until((t) => t.endsWith('\r\n\r\nok'));
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\nX-Folded: first +second\r\nContent-Length: 2\r\n\r\nok$/);
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.response!.headers[0]![1]).toMatch(/^first +second$/);
    expect(entry!.error).toBeUndefined();
  });

  it('still frames by Transfer-Encoding alone when a response also carries Content-Length', async () => {
    const up = await rawUpstream(async (conn) => {
      await conn.until(headDone);
      conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const client = await rawClient(session.listenPort);
    client.socket.write('GET /both HTTP/1.1\r\nHost: x\r\n\r\n');
    const reply = await client.until((t) => t.endsWith('\r\n0\r\n\r\n'));
    expect(headOf(reply)).not.toMatch(/content-length/i);
    expect(bodyOf(reply)).toBe('5\r\nhello\r\n0\r\n\r\n');
  });

  // ---- point 18 ----

  it('refuses a request with two Host headers with 400, sends nothing upstream, and records why', async () => {
    const up = await rawUpstream(async (conn) => {
      await conn.until(headDone);
      conn.socket.write(ok('never'));
    });
    const { session } = await env.engine.recorder.startSession({ targetUrl: up.url });
    const client = await rawClient(session.listenPort);
    client.socket.write('GET /two HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n');
    const reply = await client.until((t) => /\r\n\r\n[^]*\n$/.test(t));
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(bodyOf(reply)).toMatch(/more than one Host header/);
    expect(up.conns).toHaveLength(0);
    const [entry] = await waitForEntries(env.engine.recorder, session.id, 1);
    expect(entry!.response!.statusCode).toBe(400);
    expect(entry!.error?.code).toBe('DUPLICATE_HOST');
  });

  // ---- point 19 ----

  it('chains a forward session into a reverse session: both forward and both record', async () => {
    const { session: reverse } = await env.engine.recorder.startSession({ targetUrl: env.upstream.url });
    const { session: forward } = await env.engine.recorder.startSession({ mode: 'forward' });
    const res = await curl(['-x', forward.proxyUrl, `http://127.0.0.1:${reverse.listenPort}/json?chain=1`]);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toMatchObject({ ok: true, path: '/json' });
    const [outer] = await waitForEntries(env.engine.recorder, forward.id, 1);
    const [inner] = await waitForEntries(env.engine.recorder, reverse.id, 1);
    expect([outer!.response!.statusCode, inner!.response!.statusCode]).toEqual([200, 200]);
    // The inner session saw the outer one's mark, and added its own upstream.
    expect(inner!.request.headers.filter(([n]) => n === 'Via')).toHaveLength(1);
    expect(inner!.upstreamRequest!.headers.filter(([n]) => n === 'Via')).toHaveLength(2);
  });

  it('chains a reverse session into another reverse session', async () => {
    const { session: inner } = await env.engine.recorder.startSession({ targetUrl: env.upstream.url });
    const { session: outer } = await env.engine.recorder.startSession({ targetUrl: inner.proxyUrl });
    const res = await curl([`${outer.proxyUrl}/json`]);
    expect(res.status).toBe(200);
    await waitForEntries(env.engine.recorder, outer.id, 1);
    await waitForEntries(env.engine.recorder, inner.id, 1);
  });

  it('answers 508 for a real loop through two sessions (A -> B -> A), recognised by its Via mark', async () => {
    const ports = await twoFreeSessionPorts(env.engine);
    const a = (await env.engine.recorder.startSession({ listenPort: ports[0], targetUrl: `http://127.0.0.1:${ports[1]}` })).session;
    const b = (await env.engine.recorder.startSession({ listenPort: ports[1], targetUrl: `http://127.0.0.1:${ports[0]}` })).session;
    const res = await curl([`${a.proxyUrl}/round`], { timeoutMs: 10_000 });
    expect(res.status).toBe(508);
    expect(res.body.toString()).toMatch(/already passed through this session/);
    const [looped] = await waitForEntries(env.engine.recorder, a.id, 2).then((all) => all.filter((e) => e.error?.code === 'LOOP'));
    expect(looped!.response!.statusCode).toBe(508);
    expect((await waitForEntries(env.engine.recorder, b.id, 1))[0]!.response!.statusCode).toBe(508);
  });
});

/** Two ports of the session range that are free right now (from the top, away from other tests' sessions). */
async function twoFreeSessionPorts(engine: TestEngine): Promise<[number, number]> {
  const free: number[] = [];
  for (let port = 8990; free.length < 2 && port > 8900; port--) {
    const check = await engine.recorder.portCheck({ port }).catch(() => undefined);
    if (check?.available) free.push(port);
  }
  if (free.length < 2) throw new Error('no two free ports');
  return [free[0]!, free[1]!];
}
