/**
 * Store benchmark (`npm run bench:store`, not part of `npm test`; issue 9): N entries (default 1,000,000; 2 KB
 * bodies, every tenth 20 KB, every URL distinct) recorded through one reverse session of the real headless server,
 * with the server's own event-loop delay and memory sampled by TRAFFIC_RECORDER_LOOP_STATS. Reports RSS, entries/s,
 * loop delay p99/max and proxy throughput every 100k entries (every 10% for smaller runs), proxy throughput over a
 * fixed wrk run at ~10k entries and at the end, then search, last page, a reopen after SIGTERM, first page and search
 * again. Prints a table and writes bench/results/store-latest.json with every figure and the issue's targets, each
 * met or not. Exits 0 when targets are missed (it is a report), non-zero only when the bench itself fails.
 *
 * Needs nginx and wrk (`apt-get install -y nginx wrk`) and a build of the app to measure (npm run bench:store builds
 * this checkout; --app-root measures another built checkout, e.g. an older one for a baseline).
 *
 * Options: --entries N (1000000), --app-root DIR (this checkout), --threads N (2), --connections N (50),
 *          --throughput-seconds S (5), --out FILE (bench/results/store-latest.json), --node-args="..." (Node options
 *          of the measured server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": profiles of its threads), --help
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { makeTempDir, rssKiB, runMain, sleep, stopChild, which } from './lib-procs.js';
import { projectRoot } from './lib-targets.js';
import {
  LARGE_BODY,
  LoopStatsPoller,
  ServerGone,
  SMALL_BODY,
  dirBytes,
  median,
  runUniqueWrk,
  serveFlags,
  startStoreServer,
  startStoreUpstream,
  timedApi,
  type LoopSummary,
  type StoreServer,
} from './lib-store-targets.js';
import type { WrkResult } from './lib-wrk.js';

const { values: opts } = parseArgs({
  options: {
    entries: { type: 'string', default: '1000000' },
    'app-root': { type: 'string', default: projectRoot },
    threads: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    'throughput-seconds': { type: 'string', default: '5' },
    out: { type: 'string', default: join(projectRoot, 'bench', 'results', 'store-latest.json') },
    'node-args': { type: 'string', default: '' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  process.stdout.write(
    'usage: node --import tsx bench/store-bench.ts [--entries N] [--app-root DIR] [--threads N] [--connections N]\n' +
      '         [--throughput-seconds S] [--out FILE] [--node-args="--cpu-prof --cpu-prof-dir=DIR"]\n' +
      'Needs a build (npm run bench:store does it), nginx and wrk. See the comment at the top of this file.\n',
  );
  process.exit(0);
}
const N = Number(opts.entries);
const threads = Number(opts.threads);
const connections = Number(opts.connections);
const throughputS = Number(opts['throughput-seconds']);
const appRoot = resolve(opts['app-root']);
for (const [name, v] of [['entries', N], ['threads', threads], ['connections', connections], ['throughput-seconds', throughputS]] as const) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
}
if (N < 1000) throw new Error('--entries must be at least 1000');
if (connections < threads) throw new Error('--connections must be at least --threads');

const MIB = 1024 * 1024;
/** Entries between two report rows: 100k, or 10% of a smaller run. */
const STEP = N >= 1_000_000 ? 100_000 : Math.ceil(N / 10);
/** The early throughput measurement: at ~10k entries (in the middle of a run too small for that). */
const EARLY_AT = Math.min(10_000, Math.floor(N / 2));

function log(msg: string): void {
  process.stderr.write(`[store-bench] ${msg}\n`);
}

interface Row {
  entries: number;
  rssMiB: number;
  entriesPerS: number;
  loopP99Ms: number;
  loopMaxMs: number;
  proxyRps: number;
  proxyP99Ms: number;
  errors: number;
  /** The machine's 1-minute load average (other processes share the 2 cores). */
  load1: number;
  /** The server's main-thread JS heap in use at the row's last sample (MiB). */
  heapMiB?: number;
  /** The main thread's longest GC pause in the row's windows, and the window of the longest delay. */
  gcMaxMs?: number;
  worst?: LoopSummary['worst'];
}

interface Check {
  name: string;
  value: number;
  target: string;
  met: boolean;
  detail?: string;
}

interface SessionView {
  id: string;
  proxyUrl: string;
  entryCount: number;
}

async function entryCount(server: StoreServer, id: string): Promise<number> {
  return (await timedApi<{ session: SessionView }>(server, `/api/v1/recorder/${id}`)).value.session.entryCount;
}

/** The count once the capture batches in flight have landed (it stops changing). */
async function settledCount(server: StoreServer, id: string): Promise<number> {
  let last = await entryCount(server, id);
  for (let i = 0; i < 50; i++) {
    await sleep(200);
    const now = await entryCount(server, id);
    if (now === last) return now;
    last = now;
  }
  return last;
}

async function timedRuns<T>(runs: number, call: () => Promise<{ ms: number; value: T }>): Promise<{ runsMs: number[]; medianMs: number; last: T }> {
  const runsMs: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < runs; i++) {
    const r = await call();
    runsMs.push(r.ms);
    last = r.value;
  }
  return { runsMs, medianMs: median(runsMs), last: last as T };
}

const wrkErrors = (r: WrkResult): number => r.errors;
const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

/** What a run has measured so far, for the report of a run whose server died. */
interface Progress {
  rows: Row[];
  count: number;
  phase: string;
  server?: StoreServer;
}

async function main(): Promise<number> {
  const progress: Progress = { rows: [], count: 0, phase: 'start' };
  try {
    return await measure(progress);
  } catch (e) {
    if (!(e instanceof ServerGone) && !progress.server?.child.hasExited()) throw e;
    const output = progress.server?.child.output().slice(-4000) ?? '';
    const why = `the server exited while ${progress.phase}, at ${progress.count} entries`;
    process.stderr.write(`\n*** ${why}: every target is not met. Its last output:\n${output}\n`);
    const result = { date: new Date().toISOString(), node: process.version, appRoot, config: { entries: N, step: STEP }, rows: progress.rows, aborted: why, serverOutput: output, allMet: false };
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, `${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
}

async function measure(progress: Progress): Promise<number> {
  const missing = ['wrk', 'nginx'].filter((t) => !which(t));
  if (missing.length > 0) {
    process.stderr.write(`store-bench: missing ${missing.join(' and ')}: apt-get install -y nginx wrk\n`);
    return 2;
  }
  if (!existsSync(join(appRoot, 'dist', 'src-main', 'cli', 'main.js'))) {
    process.stderr.write(`store-bench: ${appRoot} has no build (dist/src-main/cli/main.js): run "npm run build" there\n`);
    return 2;
  }
  const flags = serveFlags(appRoot);
  // 1,000,000 is also the most a session may keep once the budgets land: the runs' extra entries (the throughput runs
  // add some) then evict the oldest, as in a long recording.
  const maxEntries = Math.max(1_000_000, N);
  const serveArgs = ['--proxy-workers', '0', '--max-entries', String(maxEntries), '--session-hours', '48'];
  // The total budgets arrive with the new store; today's build does not know them.
  if (flags.has('--max-total-entries')) serveArgs.push('--max-total-entries', String(maxEntries * 2));
  if (flags.has('--max-store-bytes')) serveArgs.push('--max-store-bytes', String(Math.max(2 * 1024 * MIB, N * 16 * 1024)));
  const dataDir = makeTempDir('store-bench-data-');
  const loopFile = join(makeTempDir('store-bench-loop-'), 'loop.json');
  const token = `store-bench-${randomBytes(8).toString('hex')}`;
  const nodeArgs = opts['node-args'].split(/\s+/).filter(Boolean);
  const spec = { appRoot, dataDir, token, loopStatsFile: loopFile, serveArgs, nodeArgs };
  log(`app ${appRoot}; serve ${serveArgs.join(' ')}; data dir ${dataDir}`);

  const upstream = await startStoreUpstream();
  const server = startStoreServer(spec);
  progress.server = server;
  progress.phase = 'starting';
  await server.ready;
  const poller = new LoopStatsPoller(loopFile);
  poller.start();
  const started = await timedApi<{ session: SessionView }>(server, '/api/v1/recorder/start', {
    method: 'POST',
    body: { mode: 'reverse', targetUrl: `http://127.0.0.1:${upstream.port}`, name: 'store-bench' },
  });
  const session = started.value.session;
  const proxyUrl = `${session.proxyUrl}/`;
  log(`session ${session.id} on ${session.proxyUrl}, upstream nginx on ${upstream.port}; ${N} entries, a row every ${STEP}`);

  const marker = `storebenchmarker${randomBytes(6).toString('hex')}`;
  let markerSent = false;
  const rows = progress.rows;
  progress.phase = 'recording';
  const gone = () => server.child.hasExited();
  let early: WrkResult | undefined;
  let earlyAtEntries = 0;
  let allErrors = 0;
  const recordingFrom = poller.samples.length;
  let count = await settledCount(server, session.id);
  const targets = [...new Set([EARLY_AT, ...Array.from({ length: Math.ceil(N / STEP) }, (_, i) => Math.min(N, (i + 1) * STEP))])].sort((a, b) => a - b);
  for (const [k, target] of targets.entries()) {
    if (!markerSent && count >= N / 2) {
      const res = await fetch(`${session.proxyUrl}/s/${marker}`, { headers: { 'x-bench-marker': marker } });
      await res.arrayBuffer();
      markerSent = true;
      log(`marker request sent at ${count} entries (${marker})`);
    }
    const remaining = target - count;
    if (remaining <= 0) continue;
    const t0 = performance.now();
    const i0 = poller.samples.length;
    const run = await runUniqueWrk(proxyUrl, `w${k}`, { threads, connections, quotaPerThread: Math.ceil(remaining / threads), durationS: 36_000 }, gone);
    const before = count;
    count = progress.count = await settledCount(server, session.id);
    const seconds = (performance.now() - t0) / 1000;
    const loop = poller.summary(i0);
    allErrors += wrkErrors(run);
    const isRow = target !== EARLY_AT || target % STEP === 0;
    if (isRow) {
      const row: Row = {
        entries: count,
        rssMiB: (rssKiB(server.child.pid) ?? 0) / 1024,
        entriesPerS: (count - before) / seconds,
        loopP99Ms: loop.p99Ms,
        loopMaxMs: loop.maxMs,
        proxyRps: run.rps,
        proxyP99Ms: run.p99Ms,
        errors: wrkErrors(run),
        load1: loadavg()[0]!,
        ...(poller.samples.length > i0 ? { heapMiB: poller.samples.at(-1)!.heapUsed / MIB } : {}),
        ...(loop.gcMaxMs !== undefined ? { gcMaxMs: loop.gcMaxMs } : {}),
        ...(loop.worst ? { worst: loop.worst } : {}),
      };
      rows.push(row);
      const why = row.worst ? ` (worst window: loop busy ${(row.worst.busy * 100).toFixed(0)}%, process CPU ${fmt(row.worst.cpuMs)} ms, GC ${fmt(row.worst.gcTotalMs)} ms; longest GC pause ${fmt(row.gcMaxMs ?? 0)} ms)` : '';
      log(`${count} entries: RSS ${row.rssMiB.toFixed(0)} MiB, ${row.entriesPerS.toFixed(0)} entries/s, loop p99 ${fmt(row.loopP99Ms)} ms max ${fmt(row.loopMaxMs)} ms${why}, wrk ${run.rps.toFixed(0)} req/s p99 ${fmt(run.p99Ms)} ms, errors ${row.errors}`);
    }
    if (!early && count >= EARLY_AT) {
      earlyAtEntries = count;
      early = await runUniqueWrk(proxyUrl, 'early', { threads, connections, quotaPerThread: 0, durationS: throughputS }, gone);
      allErrors += wrkErrors(early);
      count = await settledCount(server, session.id);
      log(`throughput at ${earlyAtEntries} entries: ${early.rps.toFixed(0)} req/s (p99 ${fmt(early.p99Ms)} ms)`);
    }
  }
  const lateAtEntries = count;
  const late = await runUniqueWrk(proxyUrl, 'late', { threads, connections, quotaPerThread: 0, durationS: throughputS }, gone);
  allErrors += wrkErrors(late);
  count = await settledCount(server, session.id);
  log(`throughput at ${lateAtEntries} entries: ${late.rps.toFixed(0)} req/s (p99 ${fmt(late.p99Ms)} ms)`);
  const recording = poller.summary(recordingFrom);
  const rssEndMiB = (rssKiB(server.child.pid) ?? 0) / 1024;

  // Queries at the end.
  progress.phase = 'answering queries';
  const queriesFrom = poller.samples.length;
  const base = `/api/v1/recorder/${session.id}`;
  const search = await timedRuns(5, () => timedApi<{ ids: string[] }>(server, `${base}/entries/search?q=${marker}`));
  log(`search: median ${fmt(search.medianMs)} ms (${search.runsMs.map(fmt).join(', ')}), ${search.last.ids.length} hit(s)`);
  const lastPage = await timedRuns(5, () => timedApi<{ entries: unknown[]; total: number }>(server, `${base}/entries?offset=${count - 100}&limit=100`));
  log(`last page: median ${fmt(lastPage.medianMs)} ms, ${lastPage.last.entries.length} entries of ${lastPage.last.total}`);
  await sleep(1000); // one more probe window, so the queries' own loop delay is in the samples
  const queries = poller.summary(queriesFrom);
  const loopMaxAllMs = poller.samples.at(-1)?.maxAll ?? Number.NaN;
  const dataDirBytes = dirBytes(dataDir);

  // Reopen.
  const t0 = performance.now();
  await stopChild(server.child, 600_000);
  const shutdownMs = performance.now() - t0;
  await poller.stop();
  poller.restart();
  const reopened = startStoreServer(spec);
  progress.server = reopened;
  progress.phase = 'reopening';
  poller.start();
  await reopened.ready;
  let listed = -1;
  for (;;) {
    const sessions = (await timedApi<{ sessions: SessionView[] }>(reopened, '/api/v1/recorder/sessions')).value.sessions;
    listed = sessions.find((s) => s.id === session.id)?.entryCount ?? -1;
    if (listed === count || performance.now() - reopened.spawnedAt > 600_000) break;
    await sleep(50);
  }
  const reopenMs = performance.now() - reopened.spawnedAt;
  log(`shutdown ${fmt(shutdownMs)} ms; reopen ${fmt(reopenMs)} ms, the session lists ${listed} of ${count} entries`);
  const firstPage = await timedRuns(5, () => timedApi<{ entries: unknown[] }>(reopened, `${base}/entries?offset=0&limit=100`));
  const searchAfter = await timedRuns(5, () => timedApi<{ ids: string[] }>(reopened, `${base}/entries/search?q=${marker}`));
  log(`after reopen: first page ${fmt(firstPage.medianMs)} ms, search ${fmt(searchAfter.medianMs)} ms (${searchAfter.last.ids.length} hit(s))`);
  await stopChild(reopened.child, 600_000);
  await poller.stop();
  await stopChild(upstream.child);

  const firstRow = rows[0]!;
  const lastRow = rows.at(-1)!;
  const loopMaxMs = Math.max(recording.maxMs, queries.maxMs);
  const tpRatio = early ? late.rps / early.rps : Number.NaN;
  const checks: Check[] = [
    {
      name: `RSS at ${lastRow.entries} / RSS at ${firstRow.entries} entries`,
      value: lastRow.rssMiB / firstRow.rssMiB,
      target: '<= 1.3',
      met: lastRow.rssMiB / firstRow.rssMiB <= 1.3,
      detail: `${firstRow.rssMiB.toFixed(0)} -> ${lastRow.rssMiB.toFixed(0)} MiB`,
    },
    { name: `RSS at ${lastRow.entries} entries (MiB)`, value: lastRow.rssMiB, target: '< 600', met: lastRow.rssMiB < 600 },
    {
      name: 'event-loop delay max, recording and queries (ms)',
      value: loopMaxMs,
      target: '<= 50',
      met: loopMaxMs <= 50,
      detail: `recording ${fmt(recording.maxMs)}, queries ${fmt(queries.maxMs)}; worst recording window p99 ${fmt(recording.p99Ms)}` +
        (recording.worst ? `; in the worst window the loop was busy ${(recording.worst.busy * 100).toFixed(0)}% and GC paused it ${fmt(recording.worst.gcTotalMs)} ms (longest pause of the run ${fmt(recording.gcMaxMs ?? 0)} ms, ${recording.gcMaxKind})` : ''),
    },
    {
      name: 'search for the unique marker, median of 5 (ms)',
      value: search.medianMs,
      target: '<= 200, and found',
      met: search.medianMs <= 200 && search.last.ids.length >= 1,
      detail: `${search.last.ids.length} hit(s)`,
    },
    { name: 'last page of 100, median of 5 (ms)', value: lastPage.medianMs, target: '<= 50', met: lastPage.medianMs <= 50 },
    {
      name: 'reopen after SIGTERM until the session lists its count (ms)',
      value: reopenMs,
      target: '<= 10000, count kept',
      met: reopenMs <= 10_000 && listed === count,
      detail: `${listed} of ${count} entries`,
    },
    {
      name: `proxy throughput at ${lateAtEntries} / at ${earlyAtEntries} entries`,
      value: tpRatio,
      target: '>= 0.9',
      met: tpRatio >= 0.9,
      detail: `${early?.rps.toFixed(0)} -> ${late.rps.toFixed(0)} req/s`,
    },
  ];

  const out: string[] = [];
  out.push(`## Store benchmark (${new Date().toISOString()}, ${cpus().length} cores, Node ${process.version})`);
  out.push('');
  out.push(`${N} entries through one reverse session (${SMALL_BODY / 1024} KB bodies, every tenth ${LARGE_BODY / 1024} KB), wrk -t${threads} -c${connections}; app ${appRoot}`);
  out.push('');
  out.push('| entries | RSS MiB | heap MiB | entries/s | loop p99 ms | loop max ms | longest GC ms | busy in worst window | load avg | proxy req/s | proxy p99 ms | errors |');
  out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const busy = r.worst ? `${(r.worst.busy * 100).toFixed(0)}%` : '';
    out.push(`| ${r.entries} | ${r.rssMiB.toFixed(0)} | ${r.heapMiB !== undefined ? r.heapMiB.toFixed(0) : ''} | ${r.entriesPerS.toFixed(0)} | ${fmt(r.loopP99Ms)} | ${fmt(r.loopMaxMs)} | ${r.gcMaxMs !== undefined ? fmt(r.gcMaxMs) : ''} | ${busy} | ${r.load1.toFixed(1)} | ${r.proxyRps.toFixed(0)} | ${fmt(r.proxyP99Ms)} | ${r.errors} |`);
  }
  out.push('');
  out.push(`Search ${search.runsMs.map(fmt).join(' / ')} ms; last page ${lastPage.runsMs.map(fmt).join(' / ')} ms; shutdown ${fmt(shutdownMs)} ms; ` +
    `reopen ${fmt(reopenMs)} ms; after reopen: first page ${fmt(firstPage.medianMs)} ms, search ${fmt(searchAfter.medianMs)} ms (${searchAfter.last.ids.length} hit(s)). ` +
    `Data dir ${((dataDirBytes ?? 0) / MIB).toFixed(0)} MiB. Failed requests ${allErrors}. Load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`);
  out.push('');
  out.push('| target | value | goal | result |');
  out.push('|---|---:|---|---|');
  for (const c of checks) out.push(`| ${c.name} | ${Number.isInteger(c.value) ? c.value : c.value.toFixed(2)}${c.detail ? ` (${c.detail})` : ''} | ${c.target} | ${c.met ? 'met' : '**not met**'} |`);
  process.stdout.write(`${out.join('\n')}\n`);

  const result = {
    date: new Date().toISOString(),
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadavgAtEnd: loadavg() },
    node: process.version,
    appRoot: relative(projectRoot, appRoot) || '.',
    config: { entries: N, step: STEP, threads, connections, throughputSeconds: throughputS, serveArgs, bodies: { small: SMALL_BODY, large: LARGE_BODY, largeEvery: 10 } },
    rows,
    throughput: { early: { atEntries: earlyAtEntries, rps: early?.rps, p99Ms: early?.p99Ms }, late: { atEntries: lateAtEntries, rps: late.rps, p99Ms: late.p99Ms }, ratio: tpRatio },
    loop: { recording, queries, maxAllMs: loopMaxAllMs, samples: poller.samples.length },
    rssEndMiB,
    search: { ...search, hits: search.last.ids.length, last: undefined },
    lastPage: { runsMs: lastPage.runsMs, medianMs: lastPage.medianMs, returned: lastPage.last.entries.length },
    reopen: { shutdownMs, reopenMs, listed, expected: count },
    afterReopen: { firstPage: { runsMs: firstPage.runsMs, medianMs: firstPage.medianMs }, search: { runsMs: searchAfter.runsMs, medianMs: searchAfter.medianMs, hits: searchAfter.last.ids.length } },
    dataDirBytes,
    failedRequests: allErrors,
    checks,
    allMet: checks.every((c) => c.met),
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${relative(process.cwd(), opts.out) || opts.out}; ${checks.filter((c) => !c.met).length} of ${checks.length} targets not met`);
  return 0;
}

await runMain('store-bench', main);
