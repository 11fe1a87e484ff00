/**
 * No error in one exchange may end the process or disturb another session. A real `serve` child process gets
 * hostile upstreams and clients on every path that can raise an error (upgrades, WebSockets, TLS in intercepted
 * tunnels, refused CONNECTs, pooled upstream sockets, blind tunnels); after each, the process is still there and
 * another session and the API still answer.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { spawnServe, type ServeProcess } from '../../test-support/child.js';
import { curl } from '../../test-support/curl.js';
import { tempDir } from '../../test-support/engine.js';
import { startUpstream, type Upstream } from '../../test-support/upstream.js';

const TOKEN = 'crash-guards-token-0123456789';
let serve: ServeProcess;
let dataDir: string;
let upstream: Upstream;
let witness: string;
const servers: net.Server[] = [];

beforeAll(async () => {
  dataDir = await tempDir('tr-crash-');
  upstream = await startUpstream();
  serve = await spawnServe(['--token', TOKEN, '--data-dir', dataDir, '--proxy-workers', '0'], { TRAFFIC_RECORDER_LOOPBACK_ONLY: '1' });
  witness = (await startSession({ mode: 'reverse', targetUrl: upstream.url })).proxyUrl;
});
afterAll(async () => {
  await serve?.stop();
  await upstream?.close();
  for (const s of servers) s.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${serve.url}/api/v1/recorder${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function startSession(config: Record<string, unknown>): Promise<{ id: string; port: number; proxyUrl: string }> {
  const { status, json } = await api('POST', '/start', config);
  expect(status).toBe(201);
  return { id: json.session.id, port: json.session.listenPort, proxyUrl: json.session.proxyUrl };
}

/** The process survived, and another session and the API answer. */
async function stillServing(): Promise<void> {
  expect(serve.child.exitCode, serve.output()).toBeNull();
  const res = await curl([`${witness}/json`]);
  expect(res.status, serve.output()).toBe(200);
  expect((await api('GET', '/sessions')).status).toBe(200);
  expect(serve.child.exitCode, serve.output()).toBeNull();
}

async function rawServer(onSocket: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A CONNECT through a forward session; resolves with the socket once the proxy answered 200. */
async function tunnel(proxyPort: number, destination: string): Promise<net.Socket> {
  const socket = await connect(proxyPort);
  socket.on('error', () => undefined);
  socket.write(`CONNECT ${destination} HTTP/1.1\r\nHost: ${destination}\r\n\r\n`);
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (/^HTTP\/1\.1 200/.test(head)) resolve();
      else reject(new Error(`CONNECT answered ${head}`));
    };
    socket.on('data', onData);
  });
  return socket;
}

const closed = (socket: net.Socket) =>
  new Promise<void>((resolve) => {
    if (socket.destroyed) return resolve();
    socket.resume();
    socket.once('close', () => resolve());
  });

const wsAccept = (key: string) => createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
const GARBAGE = Buffer.from('0f00ffffffff000000000000000006040000000000', 'hex');

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in time\n${serve.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('errors in one exchange never end the process', () => {
  it('an upstream answering an h2c upgrade offer with 101 and HTTP/2 bytes (curl --http2)', async () => {
    const seen: string[] = [];
    const port = await rawServer((socket) => {
      socket.once('data', (d: Buffer) => {
        const head = d.toString('latin1');
        seen.push(head);
        if (/^upgrade:\s*h2c/im.test(head)) {
          socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
          socket.write(Buffer.from('000006040000000000000400100000', 'hex'));
        } else {
          socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nplain');
        }
      });
    });
    const session = await startSession({ mode: 'reverse', targetUrl: `http://127.0.0.1:${port}` });
    const res = await curl(['--http2', `${session.proxyUrl}/`]);
    // The offer is dropped, as a proxy may: the exchange is plain HTTP/1.1 end to end, and recorded.
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('plain');
    expect(seen.join('')).not.toMatch(/^(upgrade|http2-settings):/im);
    await stillServing();
  });

  it('a WebSocket upstream that sends garbage frames, to a client that completed the handshake', async () => {
    const port = await rawServer((socket) => {
      socket.once('data', (d: Buffer) => {
        const key = /sec-websocket-key:\s*(\S+)/i.exec(d.toString('latin1'))?.[1] ?? '';
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${wsAccept(key)}\r\n\r\n`);
        socket.write(GARBAGE);
      });
    });
    const session = await startSession({ mode: 'reverse', targetUrl: `http://127.0.0.1:${port}` });
    const client = new WebSocket(`ws://127.0.0.1:${session.port}/socket`);
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => client.once('close', () => resolve()));
    await stillServing();
  });

  it('a WebSocket upstream that sends garbage after its client left during the handshake', async () => {
    let answer: (() => void) | undefined;
    const port = await rawServer((socket) => {
      socket.once('data', (d: Buffer) => {
        const key = /sec-websocket-key:\s*(\S+)/i.exec(d.toString('latin1'))?.[1] ?? '';
        answer = () => {
          socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${wsAccept(key)}\r\n\r\n`);
          socket.write(GARBAGE);
        };
      });
    });
    const session = await startSession({ mode: 'reverse', targetUrl: `http://127.0.0.1:${port}` });
    const client = await connect(session.port);
    client.write(
      'GET /socket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    await waitFor(async () => answer);
    client.destroy();
    // The handshake's entry is written when the proxy saw the client go: only then does the upstream answer.
    await waitFor(async () => ((await api('GET', `/${session.id}/entries`)).json.total > 0 ? true : undefined));
    answer!();
    await stillServing();
  });

  it('a client with a broken WebSocket handshake is refused before any upstream is contacted', async () => {
    let contacted = 0;
    const port = await rawServer((socket) => {
      contacted++;
      socket.once('data', () => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'));
    });
    const session = await startSession({ mode: 'reverse', targetUrl: `http://127.0.0.1:${port}` });
    const client = await connect(session.port);
    let text = '';
    client.on('data', (d: Buffer) => (text += d.toString()));
    client.write('GET /socket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n');
    await closed(client);
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(contacted).toBe(0);
    await stillServing();
  });

  it('a TLS client that sends garbage into an intercepted tunnel', async () => {
    expect((await api('POST', '/ca/generate')).status).toBeLessThan(300);
    const session = await startSession({ mode: 'forward', mitm: { enabled: true } });
    // Garbage where the ClientHello should be.
    const early = await tunnel(session.port, `localhost:${upstream.port}`);
    early.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x20]), Buffer.alloc(64, 0xee)]));
    await closed(early);
    // A completed handshake, then bytes that are no TLS record.
    const raw = await tunnel(session.port, `localhost:${upstream.port}`);
    const secure = tls.connect({ socket: raw, servername: 'localhost', rejectUnauthorized: false });
    secure.on('error', () => undefined);
    await new Promise<void>((resolve) => secure.once('secureConnect', () => resolve()));
    raw.write(Buffer.alloc(64, 0x42));
    await closed(raw);
    await stillServing();
  });

  it('a CONNECT to a refused port, with raw bytes and with TLS inside', async () => {
    const refused = await rawServer(() => undefined);
    const refusedPort = (servers.at(-1)!.address() as AddressInfo).port;
    await new Promise<void>((resolve) => servers.at(-1)!.close(() => resolve()));
    expect(refused).toBe(refusedPort);
    const session = await startSession({ mode: 'forward' });
    const rawTunnel = await tunnel(session.port, `127.0.0.1:${refusedPort}`);
    rawTunnel.write('\x00\x01 not http\r\n');
    await closed(rawTunnel);
    const tlsTunnel = await tunnel(session.port, `localhost:${refusedPort}`);
    const secure = tls.connect({ socket: tlsTunnel, servername: 'localhost', rejectUnauthorized: false });
    secure.on('error', () => undefined);
    await closed(tlsTunnel);
    await stillServing();
  });

  it('an upstream that resets mid-response on a pooled keep-alive connection', async () => {
    let requests = 0;
    const port = await rawServer((socket) => {
      socket.on('data', () => {
        requests++;
        if (requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nfirst');
        else {
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial');
          setImmediate(() => socket.resetAndDestroy());
        }
      });
    });
    const session = await startSession({ mode: 'reverse', targetUrl: `http://127.0.0.1:${port}` });
    // One curl, two URLs: the second request reuses both the client and the pooled upstream connection.
    const res = await curl([`${session.proxyUrl}/one`, `${session.proxyUrl}/two`]);
    expect(res.body.toString()).toContain('first');
    expect(res.exitCode).not.toBe(0);
    expect(requests).toBe(2);
    await stillServing();
  });

  it('a blind tunnel whose client resets the connection', async () => {
    let upstreamClosed = false;
    const port = await rawServer((socket) => {
      socket.pipe(socket);
      socket.once('close', () => (upstreamClosed = true));
    });
    const session = await startSession({ mode: 'forward' });
    const client = await tunnel(session.port, `127.0.0.1:${port}`);
    const echoed = new Promise<void>((resolve) => client.once('data', () => resolve()));
    client.write('\x00raw bytes, no protocol');
    await echoed;
    client.resetAndDestroy();
    // The proxy saw the reset once it has closed the upstream side too.
    await waitFor(async () => (upstreamClosed ? true : undefined));
    await stillServing();
  });
});
