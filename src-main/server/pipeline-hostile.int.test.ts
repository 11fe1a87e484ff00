/**
 * Hostile probes of issue 11's body and connection shaping through real session proxies (in this process, so that
 * an unhandled error fails the run): a gzip body whose Content-Length lies under a body rule, clients that hang up
 * while their body is in the replacement worker pool, more big bodies than the pool has workers, a request body
 * that never comes under `slowReadKBps`, and `timeoutRate` holding connections against the connection limit.
 *
 * A probe whose comment says "Found ..." found a bug; the comment says what it was and how it was fixed.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entry, Session } from '../../src-shared/model.js';
import { replacePool } from '../engine/pipeline/modify-pool.js';
import { curl } from '../test-support/curl.js';
import { startEngine, waitForEntries, type TestEngine } from '../test-support/engine.js';
import { rawExchange } from './hostile-test-support.js';

const servers: net.Server[] = [];
let engine: TestEngine;
/** Text upstream: `/text?size=N` answers N "a"s as text/plain; counts request bodies begun and given up. */
let textUpstream: string;
const bodies = { begun: 0, aborted: 0, open: 0 };

async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  engine = await startEngine({ limits: { requestTimeoutMs: 1500 } });
  const port = await listen(
    http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/text') {
        const size = Number(url.searchParams.get('size'));
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': size });
        res.end(Buffer.alloc(size, 'a'));
        return;
      }
      bodies.begun++;
      bodies.open++;
      req.on('close', () => {
        bodies.open--;
        if (!req.complete) bodies.aborted++;
      });
      req.resume();
      req.on('end', () => res.end('got it'));
    }),
  );
  textUpstream = `http://127.0.0.1:${port}`;
}, 60_000);
afterAll(async () => {
  await engine?.close();
  for (const s of servers) s.close();
});

async function session(config: Record<string, unknown>): Promise<Session> {
  return (await engine.recorder.startSession(config)).session;
}

async function entryFor(sessionId: string, pathPart: string, count: number): Promise<Entry> {
  const entries = await waitForEntries(engine.recorder, sessionId, count, 30_000);
  return entries.find((e) => e.request.url.includes(pathPart))!;
}

describe('a gzip body whose Content-Length lies, under a body rule', () => {
  /** An upstream that sends a gzip body with a Content-Length of `declared(real length)`, then closes. */
  async function lyingUpstream(declared: (length: number) => number): Promise<string> {
    const gz = zlib.gzipSync(Buffer.from('hello world '.repeat(5000)));
    const port = await listen(
      net.createServer((socket) => {
        socket.once('data', () => {
          socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: ${declared(gz.length)}\r\n\r\n`);
          socket.end(gz);
        });
        socket.on('error', () => undefined);
      }),
    );
    return `http://127.0.0.1:${port}`;
  }

  for (const [what, declared] of [
    ['shorter than the gzip', (n: number) => Math.floor(n / 2)],
    ['longer than the gzip', (n: number) => n + 1000],
  ] as const) {
    it(`${what}: the client never gets a whole-looking 200, and the entry says what failed`, async () => {
      const s = await session({ targetUrl: await lyingUpstream(declared), modifications: { bodyReplacements: [{ match: 'hello', replace: 'HELLO' }] } });
      const res = await curl(['--compressed', `${s.proxyUrl}/gz`]);
      // A complete answer would be curl exit 0 with a whole body; a cut one is 18 (partial) or 56 (reset).
      expect(res.exitCode, `${res.status} ${res.body.length} bytes ${res.stderr}`).not.toBe(0);
      const entry = await entryFor(s.id, '/gz', 1);
      expect(entry.error, JSON.stringify(entry)).toBeDefined();
      await engine.recorder.stopSession({ id: s.id });
    });
  }
});

describe('a gzip bomb under a body rule, to a client that does not read', () => {
  it('what the proxy holds stays near the replacement bound, not the decoded size', async () => {
    const MiB = 1024 * 1024;
    const gz = zlib.gzipSync(Buffer.alloc(256 * MiB, 'a'), { level: 9 });
    const port = await listen(
      http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': gz.length });
        res.end(gz);
      }),
    );
    const s = await session({ targetUrl: `http://127.0.0.1:${port}`, modifications: { bodyReplacements: [{ match: 'b', replace: 'c' }] } });
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)), 10);
    const socket = net.connect(s.listenPort, '127.0.0.1', () => socket.write('GET /bomb HTTP/1.1\r\nHost: x\r\n\r\n'));
    socket.on('error', () => undefined);
    socket.pause();
    await new Promise((r) => setTimeout(r, 2000));
    clearInterval(sampler);
    socket.destroy();
    console.log(`gzip bomb (${(gz.length / 1024).toFixed(0)} KiB -> 256 MiB), client not reading: proxy ArrayBuffers grew ${(peak / MiB).toFixed(1)} MiB`);
    // The bound (8 MiB) collected, then streamed with back-pressure: a few buffers more, never the decoded size.
    expect(peak).toBeLessThan(8 * MiB + 16 * MiB);
    // A client that reads gets every decoded byte, unchanged (past the bound, nothing is replaced).
    const res = await fetch(`${s.proxyUrl}/bomb`);
    let bytes = 0;
    let other = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (chunk[0] !== 97 || chunk[chunk.length - 1] !== 97) other++;
    }
    expect({ bytes, other }).toEqual({ bytes: 256 * MiB, other: 0 });
    const entries = await waitForEntries(engine.recorder, s.id, 2, 30_000);
    expect(entries.filter((e) => e.modified?.bodyTooLarge?.limit === 8 * MiB)).toHaveLength(1);
    await engine.recorder.stopSession({ id: s.id });
  }, 30_000);
});

describe('the body replacement pool under hostile clients', () => {
  // (a+)+$ -> $1 keeps the text as it is and costs ~1.5 µs a character on RE2JS: work that takes long but
  // whose result is easy to check.
  const slowRule = { match: '(a+)+$', replace: '$1', isRegex: true };
  const MiB = 1024 * 1024;

  /** A GET whose client hangs up `afterMs` after sending it. */
  function abandon(url: string, afterMs: number): Promise<void> {
    return new Promise((resolve) => {
      const req = http.get(url, { agent: false });
      req.on('error', () => resolve());
      req.on('response', (res) => res.resume());
      setTimeout(() => {
        req.destroy();
        resolve();
      }, afterMs);
    });
  }

  function fetchText(url: string): Promise<{ status: number; length: number; ms: number }> {
    const started = performance.now();
    return fetch(url).then(async (r) => ({ status: r.status, length: (await r.arrayBuffer()).byteLength, ms: performance.now() - started }));
  }

  // Found keeping their workers to the end of the 5 s budget (the pool could not cancel a job, and pipe() never
  // told ReplacingBody that its client left), so this third client's 1 MiB body, handed over just after them,
  // ran out of its own budget waiting and went unchanged. Fixed with this probe: the stage destroys the body when
  // the response closes unfinished, and the pool drops a destroyed body's job (out of the queue, or its worker
  // terminated and replaced).
  it('bodies whose clients hung up give their workers back: the next client\'s body is replaced within its budget', async () => {
    const heavy = await session({ targetUrl: textUpstream, modifications: { bodyReplacements: [slowRule, slowRule, slowRule] } });
    const light = await session({ targetUrl: textUpstream, modifications: { bodyReplacements: [slowRule] } });
    await Promise.all([abandon(`${heavy.proxyUrl}/text?size=${4 * MiB}&n=1`, 400), abandon(`${heavy.proxyUrl}/text?size=${4 * MiB}&n=2`, 400)]);
    const res = await fetchText(`${light.proxyUrl}/text?size=${MiB}`);
    expect(res).toMatchObject({ status: 200, length: MiB });
    const entry = await entryFor(light.id, '/text', 1);
    expect(entry.modified?.bodyReplacementTimedOut, JSON.stringify(entry.modified)).toBeUndefined();
    expect(entry.modified?.rules).toContain('bodyReplacements[0]');
    expect(replacePool().workers()).toBeLessThanOrEqual(2);
  }, 60_000);

  it('more big bodies than workers: every one is answered whole within the budget, the late ones unchanged and said so; the pool stays two workers', async () => {
    const s = await session({ targetUrl: textUpstream, modifications: { bodyReplacements: [slowRule] } });
    // As many bodies as make at least twice the budget's work for two workers, on this machine, measured now.
    const alone = await fetchText(`${s.proxyUrl}/text?size=${MiB}&alone`);
    const count = Math.min(40, Math.max(10, Math.ceil((2 * 2 * 5000) / alone.ms)));
    let peak = 0;
    const base = process.memoryUsage().arrayBuffers;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)), 20);
    const results = await Promise.all(Array.from({ length: count }, (_, i) => fetchText(`${s.proxyUrl}/text?size=${MiB}&i=${i}`)));
    clearInterval(sampler);
    for (const r of results) expect(r).toMatchObject({ status: 200, length: MiB });
    const entries = (await waitForEntries(engine.recorder, s.id, count + 1, 30_000)).filter((e) => e.request.url.includes('&i='));
    const timedOut = entries.filter((e) => e.modified?.bodyReplacementTimedOut);
    const replaced = entries.filter((e) => !e.modified?.bodyReplacementTimedOut && e.modified?.rules.includes('bodyReplacements[0]'));
    expect(timedOut.length + replaced.length).toBe(count);
    expect(timedOut.length).toBeGreaterThan(0);
    // The budget (5 s from hand-over) is the feature: nobody waits for the whole queue (twice that).
    const slowest = Math.max(...results.map((r) => r.ms));
    expect(slowest).toBeLessThan(5000 + 2500);
    expect(replacePool().workers()).toBeLessThanOrEqual(2);
    console.log(
      `${count} × 1 MiB under (a+)+$ (one alone: ${alone.ms.toFixed(0)} ms): ${replaced.length} replaced, ${timedOut.length} timed out, ` +
        `slowest ${slowest.toFixed(0)} ms, peak ArrayBuffer growth ${(peak / MiB).toFixed(1)} MiB`,
    );
  }, 60_000);
});

describe('toxics against the connection limits', () => {
  let limited: TestEngine;
  beforeAll(async () => {
    limited = await startEngine({ limits: { maxConnectionsPerSession: 3, requestTimeoutMs: 1500 } });
  });
  afterAll(async () => {
    await limited?.close();
  });
  const limitedSession = async (config: Record<string, unknown>) => (await limited.recorder.startSession(config)).session;

  // Found never closing such a request (Node's checker raised a clientError that mockttp's handler left open);
  // closed at requestTimeoutMs by the guards' own timer since 83ef691.
  it('control: a request body that never comes, no toxics: the request timeout closes it', async () => {
    const s = await limitedSession({ targetUrl: textUpstream });
    const started = performance.now();
    const reply = await rawExchange(s.listenPort, `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n0123456789`, 10_000);
    const ms = performance.now() - started;
    expect(reply.text === '' || /^HTTP\/1\.1 (408|400) /.test(reply.text), reply.text).toBe(true);
    expect(ms).toBeLessThan(1500 + 5000);
  }, 30_000);

  // Found holding the connection and the upstream request open too (see the control above); fixed by 83ef691.
  it('slowReadKBps with a request body that never comes: the proxy gives up at the request timeout and so does the upstream leg', async () => {
    const s = await limitedSession({ targetUrl: textUpstream, toxics: { slowReadKBps: 1 } });
    // The control's upstream leg may still be closing.
    for (let i = 0; i < 100 && bodies.open > 0; i++) await new Promise((r) => setTimeout(r, 50));
    const begunBefore = bodies.begun;
    const abortedBefore = bodies.aborted;
    const started = performance.now();
    const reply = await rawExchange(s.listenPort, `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n0123456789`, 10_000);
    const ms = performance.now() - started;
    // requestTimeoutMs is 1500 here: the connection is closed (a 408, or no answer at all), long before the body.
    expect(ms).toBeLessThan(1500 + 5000);
    expect(reply.text === '' || /^HTTP\/1\.1 (408|502|500) /.test(reply.text), reply.text).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(bodies.begun - begunBefore).toBeLessThanOrEqual(1);
    expect(bodies.aborted - abortedBefore).toBe(bodies.begun - begunBefore);
    expect(bodies.open).toBe(0);
    await limited.recorder.stopSession({ id: s.id });
  }, 30_000);

  it('timeoutRate holds requests only up to the connection limit: one more is a 503, and slots come back when clients give up', async () => {
    const s = await limitedSession({ targetUrl: textUpstream, toxics: { timeoutRate: 1 } });
    const held = Array.from({ length: 3 }, () => net.connect(s.listenPort, '127.0.0.1'));
    for (const socket of held) {
      socket.on('error', () => undefined);
      socket.write('GET /held HTTP/1.1\r\nHost: x\r\n\r\n');
    }
    await new Promise((r) => setTimeout(r, 300));
    const over = await rawExchange(s.listenPort, 'GET /over HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 3000);
    expect(over.text).toMatch(/^HTTP\/1\.1 503 /);
    for (const socket of held) socket.destroy();
    await new Promise((r) => setTimeout(r, 300));
    // A slot again: this one is held too (no answer within the wait), not refused.
    const again = await rawExchange(s.listenPort, 'GET /again HTTP/1.1\r\nHost: x\r\n\r\n', 800);
    expect(again.text).toBe('');
    await limited.recorder.stopSession({ id: s.id });
  }, 30_000);
});
