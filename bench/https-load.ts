/**
 * Timed HTTPS load for bench/https-bench.ts: GETs an https URL over C keep-alive connections, either directly or
 * through a forward proxy with CONNECT (undici ProxyAgent), trusting only the given CA. Runs a warm-up, then a
 * measured window; every latency of the window is kept and percentiles are computed from all of them. Prints one
 * JSON line on stdout.
 *
 * Usage: node --import tsx bench/https-load.ts --url https://localhost:PORT/1k.bin --ca FILE
 *          [--proxy http://127.0.0.1:N] [--connections 50] [--duration 10] [--warmup 3]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Agent, ProxyAgent, type Dispatcher } from 'undici';

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    ca: { type: 'string' },
    proxy: { type: 'string' },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
  },
});
if (!opts.url || !opts.ca) throw new Error('usage: https-load.ts --url URL --ca FILE [--proxy URL] [--connections C] [--duration S] [--warmup S]');
const url = new URL(opts.url);
const isLoopback = (h: string): boolean => h === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(h);
if (url.protocol !== 'https:' || !isLoopback(url.hostname)) throw new Error(`refusing a non-loopback or non-https URL: ${url.href}`);
if (opts.proxy && !isLoopback(new URL(opts.proxy).hostname)) throw new Error(`refusing a non-loopback proxy: ${opts.proxy}`);
const connections = Number(opts.connections);
const durationS = Number(opts.duration);
const warmupS = Number(opts.warmup);
if (!Number.isInteger(connections) || connections <= 0 || !(durationS > 0) || !(warmupS >= 0)) throw new Error('bad numeric option');
const ca = readFileSync(opts.ca, 'utf8');

const dispatcher: Dispatcher = opts.proxy
  ? new ProxyAgent({ uri: opts.proxy, requestTls: { ca }, connections, pipelining: 1, keepAliveTimeout: 30_000 })
  : new Agent({ connect: { ca }, connections, pipelining: 1, keepAliveTimeout: 30_000 });

const path = url.pathname + url.search;
const origin = url.origin;

let phase: 'warmup' | 'measure' | 'done' = warmupS > 0 ? 'warmup' : 'measure';
const latencies: number[] = [];
let ok = 0;
let non2xx = 0;
let errors = 0;
let bytes = 0;
let warmupRequests = 0;
let warmupErrors = 0;
const statuses: Record<string, number> = {};
const errorSamples: string[] = [];

async function worker(): Promise<void> {
  while (phase !== 'done') {
    const startPhase = phase;
    const t0 = performance.now();
    let status = 0;
    let failure: string | undefined;
    let got = 0;
    try {
      const res = await dispatcher.request({ origin, path, method: 'GET', headersTimeout: 30_000, bodyTimeout: 30_000 });
      status = res.statusCode;
      for await (const chunk of res.body) got += (chunk as Buffer).length;
    } catch (e) {
      failure = e instanceof Error ? `${e.name}: ${e.message}${(e as { code?: string }).code ? ` (${(e as { code?: string }).code})` : ''}` : String(e);
    }
    const ms = performance.now() - t0;
    // A request counts for the window in which it started and must also finish inside it.
    if (startPhase === 'warmup' || phase !== startPhase) {
      if (startPhase === 'warmup') {
        warmupRequests++;
        if (failure || status < 200 || status >= 300) warmupErrors++;
      }
      if (failure && errorSamples.length < 5) errorSamples.push(`warm-up/edge: ${failure}`);
      continue;
    }
    if (failure) {
      errors++;
      if (errorSamples.length < 5) errorSamples.push(failure);
      continue;
    }
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status >= 200 && status < 300) ok++;
    else non2xx++;
    bytes += got;
    latencies.push(ms);
  }
}

const hardDeadline = setTimeout(() => {
  process.stderr.write('https-load: still running 60 s after the window ended\n');
  process.exit(2);
}, (warmupS + durationS + 60) * 1000);

const workers = Array.from({ length: connections }, () => worker());
let cpuStart = process.cpuUsage();
let measureStart = performance.now();
if (warmupS > 0) {
  await new Promise((r) => setTimeout(r, warmupS * 1000));
  phase = 'measure';
  cpuStart = process.cpuUsage();
  measureStart = performance.now();
}
await new Promise((r) => setTimeout(r, durationS * 1000));
phase = 'done';
const measuredS = (performance.now() - measureStart) / 1000;
const cpu = process.cpuUsage(cpuStart);
await Promise.all(workers);
clearTimeout(hardDeadline);
await dispatcher.close().catch(() => undefined);

latencies.sort((a, b) => a - b);
const pct = (p: number): number => {
  if (latencies.length === 0) return Number.NaN;
  const i = Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1));
  return latencies[i]!;
};
const completed = ok + non2xx;
process.stdout.write(
  `${JSON.stringify({
    url: url.href,
    proxy: opts.proxy ?? null,
    connections,
    durationS: measuredS,
    warmupS,
    requests: completed,
    ok,
    rps: completed / measuredS,
    p50Ms: pct(50),
    p90Ms: pct(90),
    p99Ms: pct(99),
    maxMs: latencies.length ? latencies[latencies.length - 1] : Number.NaN,
    non2xx,
    errors,
    statuses,
    errorSamples,
    warmupRequests,
    warmupErrors,
    mbPerS: bytes / measuredS / 1e6,
    /** CPU the load generator itself used during the window, in % of one core (100 = one core saturated). */
    loadgenCpuPct: ((cpu.user + cpu.system) / 1000 / (measuredS * 1000)) * 100,
  })}\n`,
);
