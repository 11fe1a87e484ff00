/**
 * Issue 8, "Shown by": thousands of generated malformed and hostile requests (see test-support/fuzz-requests.ts)
 * against a real `serve` process's API port and a reverse and a forward session, with a well-behaved client running
 * alongside. Shown: the process never exits, the API never answers 5xx, an unauthenticated caller never gets
 * anything but the UI shell and the health check, the API closes every connection it answered once the client
 * half-closes, the well-behaved client never fails, and every entry recorded before the fuzz is still there with its
 * body. Proxy ports may answer anything (4xx, 502, 508...) as long as the process lives.
 *
 * FUZZ_SEED (default: random, printed), FUZZ_COUNT (default 5000), FUZZ_TIME_MS (generation stops after it, default
 * 75 s), FUZZ_ONLY=<index> (replay one case and print what came back).
 */
import { closedPort } from '../test-support/upstream.js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import zlib from 'node:zlib';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServe, type ServeProcess } from '../test-support/child.js';
import { tempDir } from '../test-support/engine.js';
import {
  describeBytes,
  fuzzCase,
  parseResponses,
  unauthenticatedAnswerAllowed,
  type FuzzCase,
  type FuzzContext,
} from '../test-support/fuzz-requests.js';

const TOKEN = 'fuzz-test-token-0123456789abcdef';
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const COUNT = Number(process.env.FUZZ_COUNT ?? 5000);
const TIME_MS = Number(process.env.FUZZ_TIME_MS ?? 75_000);
const ONLY = process.env.FUZZ_ONLY === undefined ? undefined : Number(process.env.FUZZ_ONLY);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 12);
/** A connection the server has not closed by then is destroyed by us (and counted). */
const CONNECTION_MS = 2000;
/** How long a case that keeps its socket open (half-sent, upgraded) holds it after writing. */
const HOLD_MS = 300;
/** With no answer for this long, the case is over: half-close and let the server finish. */
const QUIET_MS = 400;
const KEEP_BYTES = 256 * 1024;
/** After its answer and our FIN, the server has this long to close the connection before it counts as left open. */
const FIN_GRACE_MS = 3000;

interface Outcome {
  bytes: Buffer;
  /**
   * 'reset' (ECONNRESET/EPIPE), 'timeout' (we gave up on it), 'left-open' (answered and half-closed by us, never
   * closed by the server), another error code, or undefined (closed cleanly).
   */
  ending?: string;
}

function openSocket(fcase: FuzzCase, port: number): net.Socket {
  if (!fcase.tls) return net.connect({ host: '127.0.0.1', port });
  return tls.connect({ host: '127.0.0.1', port, servername: fcase.tls.servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
}

/**
 * Send one case over a fresh connection and collect what comes back. No half-close right after writing: Node's HTTP
 * server aborts a request whose client sent FIN before an async handler answered. So the socket is ended once every
 * request has its answer, or after a quiet spell, and destroyed if the server has not closed it by CONNECTION_MS.
 */
function sendCase(fcase: FuzzCase, port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = openSocket(fcase, port);
    const received: Buffer[] = [];
    let kept = 0;
    let ending: string | undefined;
    let quiet: NodeJS.Timeout | undefined;
    let giveUp = setTimeout(() => {
      ending ??= 'timeout';
      socket.destroy();
    }, CONNECTION_MS);
    // Once answered and half-closed by us, the server must close its side too: a socket it keeps is a leak.
    const finish = () => {
      if (socket.writableEnded) return;
      socket.end();
      if (!allAnswered(fcase, Buffer.concat(received))) return;
      clearTimeout(giveUp);
      giveUp = setTimeout(() => {
        ending ??= 'left-open';
        socket.destroy();
      }, FIN_GRACE_MS);
    };
    const restartQuiet = () => {
      clearTimeout(quiet);
      if (!fcase.hold) quiet = setTimeout(finish, QUIET_MS);
    };
    socket.on(fcase.tls ? 'secureConnect' : 'connect', () => {
      for (const chunk of fcase.chunks) if (!socket.destroyed) socket.write(chunk);
      if (fcase.hold) setTimeout(() => socket.destroy(), HOLD_MS);
      restartQuiet();
    });
    socket.on('data', (d: Buffer) => {
      if (kept < KEEP_BYTES) received.push(d);
      kept += d.length;
      restartQuiet();
      if (!fcase.hold && allAnswered(fcase, Buffer.concat(received))) finish();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      ending ??= e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'reset' : (e.code ?? e.message);
    });
    socket.on('close', () => {
      clearTimeout(giveUp);
      clearTimeout(quiet);
      resolve({ bytes: Buffer.concat(received), ending });
    });
  });
}

function allAnswered(fcase: FuzzCase, bytes: Buffer): boolean {
  if (fcase.requests.length === 0) return false;
  const finals = parseResponses(bytes, fcase.requests.map((r) => r.method)).filter((r) => r.complete && (r.status >= 200 || r.status === 101));
  return finals.length >= fcase.requests.length || finals.some((r) => r.status === 101);
}

interface Upstream {
  url: string;
  port: number;
  close(): Promise<void>;
}

function answer(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  const [path = '', search = ''] = (req.url ?? '').split('?');
  const size = Math.min(Number(/size=(\d+)/.exec(search)?.[1] ?? 1024), 4 * 1024 * 1024);
  if (path === '/json') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: true, path, search }));
  if (path === '/gzip') return void res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }).end(zlib.gzipSync('{"encoded":"gzip"}'));
  if (path === '/br') return void res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Encoding': 'br' }).end(zlib.brotliCompressSync('brotli '.repeat(100)));
  if (path === '/bytes' || path === '/big') return void res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(Buffer.alloc(size, 120));
  if (path === '/echo') return void res.writeHead(200, { 'Content-Type': req.headers['content-type'] ?? 'application/octet-stream' }).end(body);
  const status = /^\/status\/(\d{3})$/.exec(path);
  if (status) return void res.writeHead(Number(status[1]), { 'Content-Type': 'text/plain' }).end(`status ${status[1]}`);
  res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`hello from ${path.slice(0, 200)}`);
}

/**
 * An upstream that answers upgrades with hostility (issue 8 point 2): a 101 to h2c followed by HTTP/2 bytes, a
 * WebSocket accept followed by a frame with a reserved opcode, a plain 200, or a reset. Chosen by the target's
 * length, so a replayed case meets the same answer.
 */
function hostileUpgrade(req: http.IncomingMessage, socket: Duplex): void {
  socket.on('error', () => undefined);
  const mode = (req.url ?? '').length % 4;
  if (mode === 0) {
    socket.end(Buffer.concat([Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 8, 7, 0, 0, 0, 0, 0])]));
  } else if (mode === 1) {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key'] ?? ''}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`), Buffer.from([0x83, 0x02, 0x68, 0x69])]));
  } else if (mode === 2) {
    socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno');
  } else {
    socket.destroy();
  }
}

/**
 * The fuzz's own upstream: test-support/upstream.ts parses req.url with `new URL`, which throws on targets such as
 * `//` that a faithful proxy passes on; here nothing a request carries can throw.
 */
async function startFuzzUpstream(): Promise<Upstream> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        answer(req, res, Buffer.concat(chunks));
      } catch {
        res.destroy();
      }
    });
    req.on('error', () => res.destroy());
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  server.on('upgrade', hostileUpgrade);
  // Upgraded sockets leave the server's bookkeeping (closeAllConnections misses them): track every one to close.
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => (sockets.add(socket), socket.once('close', () => sockets.delete(socket))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

interface Tally {
  sent: number;
  byTarget: Record<string, Record<string, number>>;
  endings: Record<string, number>;
  api5xx: string[];
  bypasses: string[];
  /** API connections the server kept open after answering and after our FIN. */
  apiLeftOpen: string[];
  apiStatuses: Record<number, number>;
}

function newTally(): Tally {
  return { sent: 0, byTarget: { api: {}, reverse: {}, forward: {} }, endings: {}, api5xx: [], bypasses: [], apiLeftOpen: [], apiStatuses: {} };
}

const bump = (counts: Record<string | number, number>, key: string | number) => void (counts[key] = (counts[key] ?? 0) + 1);

/** FUZZ_LOG=<file>: one line per case (family, target, statuses, first request) for digging into a run. */
const LOG = process.env.FUZZ_LOG;

function logCase(fcase: FuzzCase, outcome: Outcome, statuses: number[]): void {
  if (!LOG) return;
  const first = fcase.requests[0];
  const line = `${fcase.index}\t${fcase.family}\t${fcase.target}\t${first?.auth ?? fcase.auth}\t${statuses.join(',') || '-'}\t${outcome.ending ?? 'closed'}\t${first ? `${first.method} ${first.path.slice(0, 100)}` : ''}\t${describeBytes([outcome.bytes], 160)}\n`;
  fs.appendFileSync(LOG, line);
}

function judge(fcase: FuzzCase, outcome: Outcome, tally: Tally): void {
  tally.sent++;
  bump(tally.endings, outcome.ending ?? 'closed');
  const responses = parseResponses(outcome.bytes, fcase.requests.map((r) => r.method));
  logCase(fcase, outcome, responses.map((r) => r.status));
  if (responses.length === 0) bump(tally.byTarget[fcase.target]!, 'none');
  if (fcase.target === 'api' && outcome.ending === 'left-open') {
    tally.apiLeftOpen.push(`case ${fcase.index} (${fcase.family}) answered ${responses.map((r) => r.status).join(',')}, kept open after our FIN\n    bytes: ${describeBytes(fcase.chunks)}`);
  }
  let final = 0;
  for (const response of responses) {
    bump(tally.byTarget[fcase.target]!, `${Math.floor(response.status / 100)}xx`);
    if (fcase.target !== 'api') continue;
    bump(tally.apiStatuses, response.status);
    const request = response.status >= 200 || response.status === 101 ? fcase.requests[final++] : undefined;
    const what = `case ${fcase.index} (${fcase.family}, ${request?.method ?? '?'} ${request?.path.slice(0, 120) ?? '?'}) → ${response.status}`;
    if (response.status >= 500) tally.api5xx.push(`${what} ${response.body.slice(0, 200)}\n    bytes: ${describeBytes(fcase.chunks)}`);
    const authenticated = (request?.auth ?? fcase.auth) === 'valid';
    if (!authenticated && (response.status === 101 || (response.status >= 200 && response.status < 300)) && !unauthenticatedAnswerAllowed(response, request?.method)) {
      tally.bypasses.push(`${what} without a valid token: ${response.body.slice(0, 120)}\n    bytes: ${describeBytes(fcase.chunks)}`);
    }
  }
}

async function api(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}/api/v1/recorder${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  return res.json();
}

/** A plain-HTTP request through the forward proxy with an absolute-form target, as HTTP_PROXY clients send it. */
function viaForwardProxy(proxyPort: number, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: proxyPort, path: url, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

/** One of this machine's own non-loopback addresses (the policy refuses it; traffic to it never leaves the host). */
function foreignHost(): string {
  const own = Object.values(os.networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4');
  return own?.address ?? '127.0.0.1';
}

interface Recorded {
  sessionId: string;
  entryId: string;
  body: string;
}

async function allEntries(base: string, sessionId: string): Promise<{ id: string }[]> {
  const entries: { id: string }[] = [];
  for (let total = Infinity; entries.length < total; ) {
    const page = await api(base, 'GET', `/${sessionId}/entries?offset=${entries.length}&limit=1000&bodies=false`);
    total = page.total;
    entries.push(...page.entries);
    if (page.entries.length === 0) break;
  }
  return entries;
}

async function waitForEntryCount(base: string, sessionId: string, count: number): Promise<{ id: string }[]> {
  for (;;) {
    const entries = await allEntries(base, sessionId);
    if (entries.length >= count) return entries;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function readBody(base: string, sessionId: string, entryId: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/recorder/${sessionId}/entries/${entryId}/body/response`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return `${res.status}:${Buffer.from(await res.arrayBuffer()).toString('base64')}`;
}

/** Entries recorded before the fuzz, with their response bodies as the API served them. */
async function recordBaseline(base: string, reverse: any, forward: any, upstream: Upstream): Promise<Recorded[]> {
  const paths = ['/json?n=1', '/gzip', '/br', '/bytes?size=40000', '/big?size=1500000', '/status/404', '/json?n=2', '/hello'];
  for (const path of paths) await (await fetch(`${reverse.proxyUrl}${path}`)).arrayBuffer();
  const echo = await fetch(`${reverse.proxyUrl}/echo`, { method: 'POST', body: 'x'.repeat(20_000), headers: { 'content-type': 'text/plain' } });
  await echo.arrayBuffer();
  for (const path of ['/json?fwd=1', '/gzip?fwd=2', '/bytes?size=30000']) await viaForwardProxy(forward.listenPort, `${upstream.url}${path}`);
  const recorded: Recorded[] = [];
  for (const [session, count] of [[reverse, paths.length + 1], [forward, 3]] as const) {
    for (const { id } of await waitForEntryCount(base, session.id, count)) {
      recorded.push({ sessionId: session.id, entryId: id, body: await readBody(base, session.id, id) });
    }
  }
  return recorded;
}

interface WellBehaved {
  ok: number;
  failures: string[];
}

/** A client that does everything right, through the reverse session and against the API, until told to stop. */
async function wellBehavedLoop(base: string, proxyUrl: string, stop: () => boolean, out: WellBehaved): Promise<void> {
  const attempt = async (what: string, run: () => Promise<void>) => {
    try {
      await run();
      out.ok++;
    } catch (e) {
      const cause = (e as { cause?: unknown }).cause;
      out.failures.push(`${what}: ${(e as Error).message} ${cause instanceof Error ? String(cause) : (JSON.stringify(cause) ?? '')}`);
    }
  };
  for (let i = 0; !stop(); i++) {
    await attempt(`GET ${proxyUrl}/json?wb=${i}`, async () => {
      const res = await fetch(`${proxyUrl}/json?wb=${i}`, { signal: AbortSignal.timeout(15_000) });
      const body = (await res.json()) as { ok?: boolean };
      if (res.status !== 200 || body.ok !== true) throw new Error(`answered ${res.status} ${JSON.stringify(body)}`);
    });
    await attempt('GET /sessions', async () => {
      const res = await fetch(`${base}/api/v1/recorder/sessions`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(15_000) });
      const body = (await res.json()) as { total?: number };
      if (res.status !== 200 || !(body.total! >= 2)) throw new Error(`answered ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    });
  }
}

interface FuzzRun {
  stoppedByTime: boolean;
  /** The cases on the wire when the server exited: one of them killed it. */
  inFlightAtExit: FuzzCase[];
}

async function runFuzz(ctx: FuzzContext, child: ServeProcess, tally: Tally): Promise<FuzzRun> {
  const deadline = Date.now() + TIME_MS;
  const port = (target: string) => (target === 'api' ? ctx.apiPort : target === 'reverse' ? ctx.reversePort : ctx.forwardPort);
  const inFlight = new Map<number, FuzzCase>();
  const run: FuzzRun = { stoppedByTime: false, inFlightAtExit: [] };
  const onExit = () => (run.inFlightAtExit = [...inFlight.values()]);
  child.child.once('exit', onExit);
  let next = 0;
  const worker = async () => {
    while (next < COUNT && child.child.exitCode === null && child.child.signalCode === null) {
      if (Date.now() > deadline) {
        run.stoppedByTime = true;
        return;
      }
      const fcase = fuzzCase(SEED, next++, ctx);
      inFlight.set(fcase.index, fcase);
      judge(fcase, await sendCase(fcase, port(fcase.target)), tally);
      inFlight.delete(fcase.index);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  child.child.off('exit', onExit);
  return run;
}

function serverErrors(output: string): string[] {
  return output.split('\n').filter((line) => /error|exception|unhandled|at .*\.ts:\d+/i.test(line)).slice(0, 40);
}

describe('fuzz: hostile HTTP against a serve process', () => {
  let upstream: Upstream;
  let server: ServeProcess;
  let base: string;
  let ctx: FuzzContext;
  let reverse: any;
  let forward: any;

  beforeAll(async () => {
    upstream = await startFuzzUpstream();
    const dataDir = await tempDir('tr-fuzz-');
    // Entries are never evicted here (a high --max-entries), so a missing old entry means one was lost.
    server = await spawnServe(['--data-dir', dataDir, '--token', TOKEN, '--max-entries', '1000000', '--max-sessions', '4', '--proxy-workers', '0']);
    base = server.url;
    reverse = (await api(base, 'POST', '/start', { name: 'fuzz-reverse', targetUrl: upstream.url })).session;
    forward = (await api(base, 'POST', '/start', { name: 'fuzz-forward', mode: 'forward' })).session;
    ctx = {
      apiPort: Number(new URL(base).port),
      token: TOKEN,
      reversePort: reverse.listenPort,
      forwardPort: forward.listenPort,
      upstreamPort: upstream.port,
      closedPort: await closedPort(),
      foreignHost: foreignHost(),
      sessionIds: [reverse.id, forward.id],
      entryIds: [],
    };
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      const stopped = server.stop();
      const forced = setTimeout(() => void server.kill9(), 15_000);
      await stopped;
      clearTimeout(forced);
    }
    await upstream?.close();
  });

  it.runIf(ONLY !== undefined)('replays one case (FUZZ_ONLY)', async () => {
    const fcase = fuzzCase(SEED, ONLY!, ctx);
    const port = fcase.target === 'api' ? ctx.apiPort : fcase.target === 'reverse' ? ctx.reversePort : ctx.forwardPort;
    const outcome = await sendCase(fcase, port);
    console.log(`case ${ONLY} of seed ${SEED}: ${fcase.family} → ${fcase.target}\nsent: ${describeBytes(fcase.chunks, 4000)}\ngot (${outcome.ending ?? 'closed'}): ${describeBytes([outcome.bytes], 4000)}`);
  });

  it.runIf(ONLY === undefined)(
    `${COUNT} generated hostile requests: no crash, no API 5xx, no unauthenticated access, the good client never fails, no entry lost`,
    async () => {
      const baseline = await recordBaseline(base, reverse, forward, upstream);
      ctx.entryIds = baseline.map((r) => r.entryId);
      const tally = newTally();
      const good: WellBehaved = { ok: 0, failures: [] };
      let fuzzing = true;
      const goodClient = wellBehavedLoop(base, reverse.proxyUrl, () => !fuzzing, good);
      const { stoppedByTime, inFlightAtExit } = await runFuzz(ctx, server, tally).finally(() => (fuzzing = false));
      await goodClient;

      const alive = server.child.exitCode === null && server.child.signalCode === null;
      const lost: string[] = [];
      if (alive) {
        const health = await fetch(`${base}/api/v1/health`);
        expect.soft(health.status, 'the API answers after the fuzz').toBe(200);
        for (const r of baseline) {
          const now = await readBody(base, r.sessionId, r.entryId).catch((e: Error) => e.message);
          if (now !== r.body) lost.push(`${r.sessionId}/${r.entryId}: body was ${r.body.slice(0, 40)}…, now ${now.slice(0, 80)}`);
        }
      }
      const listed = alive ? [...(await allEntries(base, reverse.id)), ...(await allEntries(base, forward.id))].map((e) => e.id) : [];
      const remaining = new Set(listed);
      for (const r of baseline) if (alive && !remaining.has(r.entryId)) lost.push(`${r.entryId} no longer listed`);
      const after = alive ? listed.length : -1;

      console.log(
        [
          `fuzz seed=${SEED} (FUZZ_SEED=${SEED} FUZZ_COUNT=${COUNT} to replay) sent=${tally.sent}/${COUNT}${stoppedByTime ? ` — stopped by the ${TIME_MS} ms time bound` : ''}`,
          `  answers by target: ${JSON.stringify(tally.byTarget)}`,
          `  API statuses: ${JSON.stringify(tally.apiStatuses)}`,
          `  connection endings: ${JSON.stringify(tally.endings)}`,
          `  API 5xx: ${tally.api5xx.length}, unauthenticated access: ${tally.bypasses.length}, API connections left open after answer + FIN: ${tally.apiLeftOpen.length}`,
          `  well-behaved: ok=${good.ok} failed=${good.failures.length}`,
          `  entries before=${baseline.length} after=${after} (lost ${lost.length}); server ${alive ? 'alive' : `EXITED (${server.child.exitCode ?? server.child.signalCode})`}`,
          ...(inFlightAtExit.length ? ['  cases in flight when the server exited:', ...inFlightAtExit.map((c) => `   case ${c.index} (${c.family} → ${c.target}): ${describeBytes(c.chunks, 400)}`)] : []),
          ...(tally.api5xx.length ? ['  first API 5xx:', ...tally.api5xx.slice(0, 5).map((s) => `   ${s}`)] : []),
          ...(tally.bypasses.length ? ['  first unauthenticated access:', ...tally.bypasses.slice(0, 5).map((s) => `   ${s}`)] : []),
          ...(tally.apiLeftOpen.length ? ['  first API connections left open:', ...tally.apiLeftOpen.slice(0, 3).map((s) => `   ${s}`)] : []),
          ...(good.failures.length ? ['  well-behaved failures:', ...good.failures.slice(0, 5).map((s) => `   ${s}`)] : []),
          ...(serverErrors(server.output()).length ? ['  server output (errors):', ...serverErrors(server.output()).map((s) => `   ${s}`)] : []),
        ].join('\n'),
      );

      expect.soft(alive ? 'alive' : `exited:\n${server.output().slice(-4000)}`, 'the server process never exits').toBe('alive');
      expect.soft(tally.api5xx, 'the API never answers 5xx').toEqual([]);
      expect.soft(tally.bypasses, 'no 2xx/101 without the token but the UI shell and health').toEqual([]);
      expect.soft(tally.apiLeftOpen, 'the API closes every connection it has answered once the client half-closes').toEqual([]);
      expect.soft(good.failures, 'the well-behaved client never fails').toEqual([]);
      expect.soft(lost, 'no entry recorded before the fuzz is lost').toEqual([]);
      expect(tally.sent).toBeGreaterThanOrEqual(stoppedByTime || !alive ? 1 : COUNT);
    },
    TIME_MS + 60_000,
  );
});
