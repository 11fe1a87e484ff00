/**
 * WebSocket upgrades pass the same upstream policy and loop checks as every other request, before any connection
 * or DNS lookup, and each upgrade is recorded as an `http` entry of its handshake. No test contacts anything but
 * 127.0.0.1: refusals are proven against a live loopback upstream that the policy forbids by name.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startEngine, waitForEntries, type TestEngine } from '../../test-support/engine.js';

let engine: TestEngine;
/** Allows `localhost` names only, so 127.0.0.1 (where the live upstream listens) is refused. */
let strict: TestEngine;
let wsServer: WebSocketServer;
let wsPort: number;
let upstreamConnections = 0;

beforeAll(async () => {
  engine = await startEngine();
  strict = await startEngine({ upstreamPolicy: (host) => host === 'localhost' || host.endsWith('.localhost') });
  const server = http.createServer();
  server.on('connection', () => upstreamConnections++);
  wsServer = new WebSocketServer({ server });
  wsServer.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo:${(data as Buffer).toString()}`)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  wsPort = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await engine?.close();
  await strict?.close();
  for (const client of wsServer?.clients ?? []) client.terminate();
  await new Promise((resolve) => wsServer?.close(resolve));
});

const WS_HEADERS = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

/** Send raw bytes to the proxy port; resolves with the answer's head (or all bytes, when the proxy closes first). */
function rawExchange(port: number, ...writes: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let step = 0;
    socket.on('connect', () => socket.write(writes[step++]!));
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      if (step < writes.length && /^HTTP\/1\.1 200/.test(text)) {
        // A CONNECT went through: the next write goes inside the tunnel.
        text = '';
        socket.write(writes[step++]!);
        return;
      }
      socket.destroy();
      resolve(text);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

describe('WebSocket upgrades and the upstream policy', () => {
  it('refuses an upgrade to a name outside the policy with 403, before any DNS lookup', async () => {
    const { session } = await engine.recorder.startSession({ mode: 'forward' });
    const answer = await rawExchange(session.listenPort, `GET http://blocked.invalid/socket HTTP/1.1\r\nHost: blocked.invalid\r\n${WS_HEADERS}\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toContain('may not contact blocked.invalid');
  });

  it('never connects to a live upstream the policy refuses: absolute-form upgrade', async () => {
    const before = upstreamConnections;
    const { session } = await strict.recorder.startSession({ mode: 'forward' });
    const answer = await rawExchange(session.listenPort, `GET http://127.0.0.1:${wsPort}/socket HTTP/1.1\r\nHost: 127.0.0.1:${wsPort}\r\n${WS_HEADERS}\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(upstreamConnections).toBe(before);
  });

  it('checks the tunnel destination, not only the Host header, for an upgrade inside a CONNECT', async () => {
    const before = upstreamConnections;
    const { session } = await strict.recorder.startSession({ mode: 'forward' });
    const answer = await rawExchange(
      session.listenPort,
      `CONNECT 127.0.0.1:${wsPort} HTTP/1.1\r\nHost: 127.0.0.1:${wsPort}\r\n\r\n`,
      `GET /socket HTTP/1.1\r\nHost: localhost:${wsPort}\r\n${WS_HEADERS}\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toContain('may not contact 127.0.0.1');
    expect(upstreamConnections).toBe(before);
  });

  it('answers 508 to an upgrade that points back at the proxy itself', async () => {
    const { session } = await engine.recorder.startSession({ mode: 'forward' });
    const target = `127.0.0.1:${session.listenPort}`;
    const answer = await rawExchange(session.listenPort, `GET http://${target}/socket HTTP/1.1\r\nHost: ${target}\r\n${WS_HEADERS}\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 508 /);
  });

  it('records an allowed upgrade as an http entry of its handshake, and the WebSocket works', async () => {
    const { session } = await engine.recorder.startSession({ mode: 'reverse', targetUrl: `http://127.0.0.1:${wsPort}` });
    const client = new WebSocket(`ws://127.0.0.1:${session.listenPort}/socket?x=1`);
    await new Promise<void>((resolve, reject) => {
      client.once('open', () => resolve());
      client.once('error', reject);
    });
    const reply = new Promise<string>((resolve) => client.once('message', (data) => resolve((data as Buffer).toString())));
    client.send('hi');
    expect(await reply).toBe('echo:hi');
    client.close();
    const [entry] = await waitForEntries(engine.recorder, session.id, 1);
    expect(entry!.entryType).toBe('http');
    expect(entry!.request.url).toBe(`http://127.0.0.1:${wsPort}/socket?x=1`);
    expect(entry!.request.headers.find(([name]) => name.toLowerCase() === 'upgrade')?.[1]).toBe('websocket');
    expect(entry!.response?.statusCode).toBe(101);
    expect(entry!.response?.headers.some(([name]) => name.toLowerCase() === 'sec-websocket-accept')).toBe(true);
  });
});
