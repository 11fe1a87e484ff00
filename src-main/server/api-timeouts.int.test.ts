/**
 * The API port keeps answering when clients hold connections open without finishing a request: idle sockets,
 * slow-loris heads and bodies that stop halfway are closed by the server's timeouts, while the stream's WebSocket,
 * which is idle by nature, is not.
 */
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startEngine, type TestEngine } from '../test-support/engine.js';
import { startApiServer, type ApiServer } from './api-server.js';

const TOKEN = 'timeouts-token-0123456789';
let engine: TestEngine;
let api: ApiServer;

beforeAll(async () => {
  engine = await startEngine();
  api = await startApiServer({
    recorder: engine.recorder,
    token: TOKEN,
    port: 0,
    timeouts: { idleMs: 400, headersMs: 400, requestMs: 600, keepAliveMs: 200 },
  });
});
afterAll(async () => {
  await api?.close();
  await engine?.close();
});

function openSocket(send?: string): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(api.port, '127.0.0.1');
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('connect', () => {
      if (send) socket.write(send);
      resolve({ socket, closed });
    });
    socket.once('error', reject);
  });
}

const authorized = () => fetch(`${api.url}/api/v1/recorder/sessions`, { headers: { authorization: `Bearer ${TOKEN}` } });

it('closes idle, half-sent and stalled-body connections, and keeps answering meanwhile', async () => {
  const host = `Host: 127.0.0.1:${api.port}\r\n`;
  const idle = await Promise.all(Array.from({ length: 100 }, () => openSocket()));
  const loris = await Promise.all(Array.from({ length: 20 }, () => openSocket(`GET /api/v1/recorder/sessions HTTP/1.1\r\n${host}X-Slow: a`)));
  const stalledBody = await Promise.all(
    Array.from({ length: 20 }, () =>
      openSocket(`POST /api/v1/recorder/start HTTP/1.1\r\n${host}Authorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"na`),
    ),
  );
  // The API answers while they are open...
  expect((await authorized()).status).toBe(200);
  // ...and every one of them is closed by the server, not by us.
  await Promise.all([...idle, ...loris, ...stalledBody].map((s) => s.closed));
  expect((await authorized()).status).toBe(200);
});

it('leaves the entry stream open past the idle timeout', async () => {
  const { session } = await engine.recorder.startSession({ targetUrl: 'http://127.0.0.1:9' });
  const ws = new WebSocket(`${api.url.replace('http', 'ws')}/api/v1/recorder/${session.id}/ws`, { headers: { authorization: `Bearer ${TOKEN}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let closed = false;
  ws.once('close', () => (closed = true));
  // Several idle timeouts pass with no traffic at all: a stream is idle by nature and must survive it.
  await new Promise((r) => setTimeout(r, 1_500));
  expect(closed).toBe(false);
  expect(ws.readyState).toBe(WebSocket.OPEN);
  ws.close();
});
