/**
 * Back-pressure on the WebSocket stream: a real subscriber whose socket stops reading while thousands of real
 * entries flow through a real session must not grow the server's buffers, must not hold up a well-behaved
 * subscriber, and must learn what it missed (a resync message) or be closed with a reason.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startEngine, type TestEngine } from '../test-support/engine.js';
import { startUpstream, type Upstream } from '../test-support/upstream.js';
import { startApiServer, type ApiServer } from './api-server.js';
import { STREAM_TOO_SLOW_CLOSE_CODE } from './stream-subscriber.js';

const TOKEN = 'backpressure-token-0123456789';
const MAX_BUFFERED = 256 * 1024;
// Big enough that the kernel's socket buffers fill up and the server's own buffer has to hold the rest.
const PAD = 'p'.repeat(6000);

let engine: TestEngine;
let upstream: Upstream;
let proxyUrl: string;
let sessionId: string;

beforeAll(async () => {
  engine = await startEngine();
  upstream = await startUpstream();
  const { session } = await engine.recorder.startSession({ name: 'backpressure', targetUrl: upstream.url });
  sessionId = session.id;
  proxyUrl = session.proxyUrl;
});
afterAll(async () => {
  await engine?.close();
  await upstream?.close();
});

async function startApi(stream: { stallCloseMs?: number }): Promise<ApiServer> {
  return startApiServer({ recorder: engine.recorder, token: TOKEN, port: 0, stream: { maxBufferedBytes: MAX_BUFFERED, resumeBelowBytes: 64 * 1024, ...stream } });
}

interface Subscriber {
  ws: WebSocket;
  /** The client's TCP socket, to stop and restart reading. */
  tcp: () => net.Socket;
  messages: Array<{ type: string; entry?: { id: string }; dropped?: number }>;
  largestFrame: number;
  binaryFrames: number;
}

async function subscribe(api: ApiServer, batch: boolean): Promise<Subscriber> {
  let tcp: net.Socket | undefined;
  const ws = new WebSocket(`${api.url.replace('http', 'ws')}/api/v1/recorder/${sessionId}/ws${batch ? '?batch=1' : ''}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
    createConnection: ((options: net.NetConnectOpts) => (tcp = net.connect(options))) as typeof net.createConnection,
  });
  const sub: Subscriber = { ws, tcp: () => tcp!, messages: [], largestFrame: 0, binaryFrames: 0 };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    // Browsers hand binary frames over as Blobs, which the UI ignores: every frame must be text.
    if (isBinary) sub.binaryFrames++;
    sub.largestFrame = Math.max(sub.largestFrame, data.length);
    const frame = JSON.parse(data.toString());
    sub.messages.push(...(frame.type === 'batch' ? frame.messages : [frame]));
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return sub;
}

/** `count` real requests through the session, a few at a time over keep-alive connections. */
async function traffic(count: number, tag: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const res = await fetch(`${proxyUrl}/json?${tag}=${n}`, { headers: { 'x-pad': PAD } });
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
}

async function until(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const entriesOf = (sub: Subscriber, tag: string) =>
  sub.messages.filter((m) => m.type === 'entry' && (m.entry as { request?: { url: string } }).request?.url.includes(`${tag}=`)).length;

describe('a subscriber that stops reading', () => {
  it('is bounded and skipped while it lags, then told how much it missed; a reading subscriber gets everything', async () => {
    const api = await startApi({ stallCloseMs: 10 * 60_000 });
    try {
      const good = await subscribe(api, true);
      const slow = await subscribe(api, false);
      slow.tcp().pause();
      const total = 800;
      await traffic(total, 'lag');
      await until('the reading subscriber to see every entry', () => entriesOf(good, 'lag') === total);

      const stats = api.streamSubscribers();
      expect(stats).toHaveLength(2);
      const slowStats = stats.find((s) => s.dropped > 0);
      expect(slowStats, JSON.stringify(stats)).toBeDefined();
      expect(slowStats!.lagging).toBe(true);
      // At most the bound plus the one batch that crossed it: the server holds no backlog beyond that.
      expect(slowStats!.peakBufferedAmount).toBeLessThanOrEqual(MAX_BUFFERED + good.largestFrame + 64 * 1024);
      expect(stats.find((s) => s !== slowStats)).toMatchObject({ dropped: 0, lagging: false });

      slow.tcp().resume();
      await until('the resync message', () => slow.messages.some((m) => m.type === 'resync'));
      const resync = slow.messages.find((m) => m.type === 'resync')!;
      expect(resync).toMatchObject({ type: 'resync', dropped: slowStats!.dropped, reason: expect.stringMatching(/fell behind.*reload/) });
      const beforeResync = slow.messages.indexOf(resync);
      // Everything the reading subscriber got, the slow one either got or was told it missed.
      expect(beforeResync + resync.dropped!).toBe(good.messages.length);

      await traffic(3, 'after');
      await until('both subscribers to see new entries', () => entriesOf(good, 'after') === 3 && entriesOf(slow, 'after') === 3);
      expect(api.streamSubscribers().every((s) => !s.lagging && s.resyncs <= 1)).toBe(true);
      expect([good.binaryFrames, slow.binaryFrames]).toEqual([0, 0]);
      good.ws.close();
      slow.ws.close();
    } finally {
      await api.close();
    }
  }, 120_000);

  it('is closed with a reason when it stays stuck', async () => {
    const api = await startApi({ stallCloseMs: 0 });
    try {
      const good = await subscribe(api, true);
      const slow = await subscribe(api, true);
      slow.tcp().pause();
      let round = 0;
      while (!api.streamSubscribers().some((s) => s.closed)) {
        if (++round > 20) throw new Error(`the stuck subscriber was never closed: ${JSON.stringify(api.streamSubscribers())}`);
        await traffic(300, `stuck${round}-`);
      }
      const closed = new Promise<[number, string]>((resolve) => slow.ws.once('close', (code, reason) => resolve([code, reason.toString()])));
      slow.tcp().resume();
      const [code, reason] = await closed;
      expect(code).toBe(STREAM_TOO_SLOW_CLOSE_CODE);
      expect(reason).toMatch(/too slow/);
      expect(good.ws.readyState).toBe(WebSocket.OPEN);
      good.ws.close();
    } finally {
      await api.close();
    }
  }, 120_000);
});
