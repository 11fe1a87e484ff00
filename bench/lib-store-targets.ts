/**
 * Processes of the store benchmark (bench/store-bench.ts): an nginx upstream that answers every path with a 2 KB
 * body (20 KB under /l/), our server from any built checkout with the event-loop probe on, wrk driven by a Lua
 * script that makes every URL distinct and stops after a quota, and a poller of the probe's samples.
 */
import type { LoopStatsSample } from '../src-main/server/loop-stats.js';
import { promises as fsp, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { freePort, makeTempDir, sleep, startChild, waitForOutput, which, type Child } from './lib-procs.js';
import { nginxHttpPrologue, waitForHttp, type Upstream } from './lib-targets.js';
import { parseWrk, type WrkResult } from './lib-wrk.js';

export const SMALL_BODY = 2 * 1024;
export const LARGE_BODY = 20 * 1024;

/** Words rather than one repeated byte, so that full-text indexing of bodies has real tokens to chew on. */
function textBody(bytes: number, seed: number): Buffer {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
  let s = '';
  let x = seed;
  while (s.length < bytes) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += `${words[x % words.length]}${x % 1000} `;
  }
  return Buffer.from(s.slice(0, bytes));
}

export async function startStoreUpstream(): Promise<Upstream> {
  const nginx = which('nginx');
  if (!nginx) throw new Error('nginx is not installed (apt-get install -y nginx)');
  const dir = makeTempDir('store-bench-nginx-');
  const www = join(dir, 'www');
  mkdirSync(www);
  mkdirSync(join(dir, 'tmp'));
  writeFileSync(join(www, 'small.txt'), textBody(SMALL_BODY, 1));
  writeFileSync(join(www, 'large.txt'), textBody(LARGE_BODY, 2));
  for (const p of [dir, www]) chmodSync(p, 0o755);
  const port = await freePort();
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${nginxHttpPrologue(dir, 'text/plain')}
  server {
    listen 127.0.0.1:${port};
    root ${www};
    location / { try_files /small.txt =404; }
    location /l/ { try_files /large.txt =404; }
  }
}
`,
  );
  const child = startChild('nginx', nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')]);
  await waitForHttp(`http://127.0.0.1:${port}/s/probe`, 10_000, child);
  return { kind: 'nginx', port, child };
}

export interface StoreServer {
  child: Child;
  apiUrl: string;
  token: string;
  dataDir: string;
  /** When the child was spawned (performance.now()). */
  spawnedAt: number;
}

export interface ServerSpec {
  appRoot: string;
  dataDir: string;
  token: string;
  loopStatsFile: string;
  serveArgs: string[];
  /** Node options for the server process (e.g. --cpu-prof --cpu-prof-dir=DIR to profile it). */
  nodeArgs?: string[];
}

export function startStoreServer(spec: ServerSpec): StoreServer & { ready: Promise<void> } {
  const spawnedAt = performance.now();
  const child = startChild(
    'traffic-recorder serve',
    process.execPath,
    [...(spec.nodeArgs ?? []), join(spec.appRoot, 'bin', 'traffic-recorder.js'), 'serve', '--port', '0', '--data-dir', spec.dataDir, '--token', spec.token, ...spec.serveArgs],
    { cwd: spec.appRoot, env: { ...process.env, TRAFFIC_RECORDER_LOOP_STATS: spec.loopStatsFile } },
  );
  const server: StoreServer & { ready: Promise<void> } = {
    child,
    apiUrl: '',
    token: spec.token,
    dataDir: spec.dataDir,
    spawnedAt,
    ready: waitForOutput(child, /API listening on (http:\/\/127\.0\.0\.1:\d+)/, 600_000).then((m) => {
      server.apiUrl = m[1]!;
    }),
  };
  return server;
}

/** Which of the optional serve flags this build knows (the total budgets arrive with the new store). */
export function serveFlags(appRoot: string): Set<string> {
  const r = spawnSync(process.execPath, [join(appRoot, 'bin', 'traffic-recorder.js'), 'serve', '--help'], { encoding: 'utf8', timeout: 60_000 });
  return new Set([...`${r.stdout}${r.stderr}`.matchAll(/(--[a-z][a-z-]+)/g)].map((m) => m[1]!));
}

export interface Timed<T> {
  ms: number;
  value: T;
}

export async function timedApi<T>(server: StoreServer, path: string, init: { method?: string; body?: unknown } = {}): Promise<Timed<T>> {
  const t0 = performance.now();
  const res = await fetch(`${server.apiUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${server.token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    // Today's store answers a search at 1M entries in minutes, not seconds: the bench waits and reports it.
    signal: AbortSignal.timeout(900_000),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return { ms, value: JSON.parse(text) as T };
}

const LUA = `-- store-bench: every request gets its own path; a thread stops after its quota of responses (0 = no quota).
local nextId = 1
function setup(thread)
  thread:set("tid", nextId)
  nextId = nextId + 1
end
function init(args)
  prefix = args[1]
  quota = tonumber(args[2])
  sent = 0
  answered = 0
  stopped = false
end
function request()
  sent = sent + 1
  local dir = (sent % 10 == 0) and "/l/" or "/s/"
  return wrk.format("GET", dir .. prefix .. "-" .. tid .. "-" .. sent)
end
function response(status, headers, body)
  answered = answered + 1
  if quota > 0 and answered >= quota and not stopped then
    stopped = true
    io.write("store-bench-thread-done\\n")
    io.flush()
    wrk.thread:stop()
  end
end
`;

let luaFile: string | undefined;
function luaScript(): string {
  if (!luaFile) {
    luaFile = join(makeTempDir('store-bench-lua-'), 'unique-paths.lua');
    writeFileSync(luaFile, LUA);
  }
  return luaFile;
}

/** The measured server died: a finding about the store, reported as such, not a failure of the bench. */
export class ServerGone extends Error {}

export interface WrkRun {
  threads: number;
  connections: number;
  /** Responses per thread before it stops; 0 = run for `durationS`. */
  quotaPerThread: number;
  durationS: number;
}

/**
 * wrk with unique paths. With a quota, wrk itself would still wait out its whole duration after its threads
 * stopped, so once every thread says it is done it gets SIGINT, which ends it with its normal report.
 */
export async function runUniqueWrk(url: string, prefix: string, run: WrkRun, gone: () => boolean = () => false): Promise<WrkResult> {
  const args = [`-t${run.threads}`, `-c${run.connections}`, `-d${run.durationS}s`, '--timeout', '60s', '--latency', '-s', luaScript(), url, '--', prefix, String(run.quotaPerThread)];
  const child = startChild(`wrk ${prefix}`, 'wrk', args);
  if (run.quotaPerThread > 0) {
    const doneCount = () => child.output().split('store-bench-thread-done').length - 1;
    // `gone`: the server died, so the quota will never be reached.
    while (doneCount() < run.threads && !child.hasExited() && !gone()) await sleep(50);
    if (!child.hasExited()) child.proc.kill('SIGINT');
  }
  const code = await child.exited;
  if (gone()) throw new ServerGone('the server exited during a wrk run');
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${child.output().slice(-3000)}`);
  return parseWrk(child.output(), url);
}

/** What the server's probe writes (src-main/server/loop-stats.ts). */
export type LoopSample = LoopStatsSample;

export interface LoopSummary {
  p99Ms: number;
  maxMs: number;
  samples: number;
  /** The longest GC pause of the main thread in the windows, and its kind. */
  gcMaxMs?: number;
  gcMaxKind?: string;
  /** The window with the longest delay: how busy the loop was (0..1), the process's CPU ms, its GC pauses. */
  worst?: { maxMs: number; busy: number; cpuMs: number; gcMaxMs: number; gcTotalMs: number };
}

/** Collects every new sample the server's probe writes (it writes every 500 ms; this reads every 150 ms). */
export class LoopStatsPoller {
  readonly samples: LoopSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private reading = false;

  constructor(private readonly file: string) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), 150);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.poll();
  }

  /** Forget the seq numbering: a restarted server counts from 1 again. */
  restart(): void {
    this.lastSeq = 0;
  }

  private lastSeq = 0;

  private async poll(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const s = JSON.parse(await fsp.readFile(this.file, 'utf8')) as LoopSample;
      if (s.seq > this.lastSeq) {
        this.lastSeq = s.seq;
        this.samples.push(s);
      }
    } catch {
      /* not written yet, or the server is restarting */
    } finally {
      this.reading = false;
    }
  }

  /**
   * Worst p99 and max among the samples from index `from` on (to `to`, exclusive), the longest GC pause, and what the
   * window with the longest delay looked like (older builds' samples carry no gc/busy/cpu: then those are absent).
   */
  summary(from: number, to = this.samples.length): LoopSummary {
    const window = this.samples.slice(from, to);
    const worst = window.reduce<LoopSample | undefined>((w, s) => (!w || s.max > w.max ? s : w), undefined);
    const gcMax = window.reduce<LoopSample | undefined>((w, s) => (s.gc && (!w || s.gc.maxMs > w.gc.maxMs) ? s : w), undefined);
    return {
      p99Ms: Math.max(0, ...window.map((s) => s.p99)),
      maxMs: Math.max(0, ...window.map((s) => s.max)),
      samples: window.length,
      ...(gcMax ? { gcMaxMs: gcMax.gc.maxMs, gcMaxKind: gcMax.gc.maxKind } : {}),
      ...(worst?.gc ? { worst: { maxMs: worst.max, busy: worst.busy, cpuMs: worst.cpuMs, gcMaxMs: worst.gc.maxMs, gcTotalMs: worst.gc.totalMs } } : {}),
    };
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function dirBytes(dir: string): number | undefined {
  const r = spawnSync('du', ['-sb', dir], { encoding: 'utf8' });
  const n = Number(r.stdout.split(/\s/)[0]);
  return Number.isFinite(n) ? n : undefined;
}
