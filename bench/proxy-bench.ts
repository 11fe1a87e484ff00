/**
 * Proxy benchmark (`npm run bench`, not part of `npm test`): nginx direct vs a bare Node pipe proxy vs our
 * recording reverse proxy (the real `traffic-recorder serve` child) vs mitmdump, with wrk on 127.0.0.1, plus our
 * server's RSS after 20k and 100k requests. Prints a Markdown table, writes bench/results/latest.json, and exits
 * non-zero when a target is missed.
 *
 * Needs the Debian packages nginx, wrk and mitmproxy (`apt-get install -y nginx wrk mitmproxy`).
 *
 * The pipeline row: the same server with 20 no-op stages registered (TRAFFIC_RECORDER_BENCH_NOOP_STAGES, read by
 * the engine's stage list only for this) and a session with 20 scope-filter patterns that every request passes;
 * measured right after the plain row, it must keep 95% of its throughput.
 * The shaping row (issue 11): a second session on the plain row's server with the same filters and 20 modification
 * rules (bench/lib-targets.ts BENCH_MODIFICATIONS); it must keep 90% of the plain session's throughput.
 *
 * Options: --duration S (10), --warmup S (3), --mem-first N (20000), --mem-total N (100000),
 *          --server-node-flags "--flag ..." (also BENCH_SERVER_NODE_FLAGS), --out FILE (bench/results/latest.json),
 *          --help
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { commonBenchOptions, exitCodeOf, machineInfo, printReport, writeResult, type Check } from './lib-report.js';
import { cpuMs, rssKiB, sleep, stopChild, which, runMain } from './lib-procs.js';
import {
  BENCH_FILTERS,
  BENCH_MODIFICATIONS,
  FILES,
  INSTALL_HINT,
  boundedLoad,
  entryStats,
  projectRoot,
  startMitmdump,
  startNginx,
  startNodeUpstream,
  startOurServer,
  startPipeProxy,
  startReverseSession,
  type EntryStats,
  type LoadResult,
  type SizeKey,
  type Upstream,
} from './lib-targets.js';
import { runWrk, type WrkResult } from './lib-wrk.js';

const { values: opts } = parseArgs({
  options: {
    ...commonBenchOptions(projectRoot, 'latest.json'),
    'mem-first': { type: 'string', default: '20000' },
    'mem-total': { type: 'string', default: '100000' },
    'pipeline-rounds': { type: 'string', default: '3' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  process.stdout.write(
    'usage: node --import tsx bench/proxy-bench.ts [--duration S] [--warmup S] [--mem-first N] [--mem-total N]\n' +
      '         [--server-node-flags "..."] [--pipeline-rounds N] [--out FILE]\n' +
      'Needs a build (npm run bench does it) and nginx, wrk, mitmproxy. See the comment at the top of this file.\n',
  );
  process.exit(0);
}
const durationS = Number(opts.duration);
const warmupS = Number(opts.warmup);
const memFirst = Number(opts['mem-first']);
const memTotal = Number(opts['mem-total']);
/** Plain vs pipeline pairs per size: a 5% margin is below one round's noise on a shared machine, so compare means. */
const pipelineRounds = Number(opts['pipeline-rounds']);
const serverNodeFlags = opts['server-node-flags'].split(/\s+/).filter((f) => f !== '');
for (const [name, v] of [['duration', durationS], ['warmup', warmupS], ['mem-first', memFirst], ['mem-total', memTotal], ['pipeline-rounds', pipelineRounds]] as const) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
}
if (memTotal <= memFirst) throw new Error('--mem-total must be larger than --mem-first');

const PIPELINE: TargetName = 'traffic-recorder, 20 filters + 20 no-op stages';
const SHAPED: TargetName = 'traffic-recorder, 20 filters + 20 modification rules';
/** Stages with no hook registered in the pipeline row's server (pipeline/stages.ts reads the variable). */
const NOOP_STAGES = { TRAFFIC_RECORDER_BENCH_NOOP_STAGES: '20' };
type TargetName =
  | 'nginx direct'
  | 'node pipe proxy'
  | 'traffic-recorder'
  | 'traffic-recorder, 20 filters + 20 no-op stages'
  | 'traffic-recorder, 20 filters + 20 modification rules'
  | 'mitmdump'
  | 'mitmdump -q';
const SIZES: SizeKey[] = ['1k', '100k'];
const SIZE_LABEL: Record<SizeKey, string> = { '1k': '1 KB', '100k': '100 KB' };

interface Row {
  target: TargetName;
  size: SizeKey;
  rps: number;
  requests: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  non2xx: number;
  socketErrors: WrkResult['socketErrors'];
  warmupErrors: number;
  /** CPU time the proxy process used per request during the measured run (µs); robust to a busy machine. */
  cpuPerReqUs?: number;
}


function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function toolVersion(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'unknown';
}

async function measure(target: TargetName, baseUrl: string, rows: Row[], pid?: number, sizes: SizeKey[] = SIZES): Promise<void> {
  for (const size of sizes) {
    const url = `${baseUrl}${FILES[size].path}`;
    log(`${target} ${SIZE_LABEL[size]}: warm-up ${warmupS}s`);
    const warm = await runWrk(url, { durationS: warmupS });
    log(`${target} ${SIZE_LABEL[size]}: wrk -t2 -c50 -d${durationS}s --latency`);
    const cpuBefore = pid === undefined ? undefined : cpuMs(pid);
    const r = await runWrk(url, { durationS });
    const cpuAfter = pid === undefined ? undefined : cpuMs(pid);
    const cpuPerReqUs = cpuBefore !== undefined && cpuAfter !== undefined && r.requests > 0 ? ((cpuAfter - cpuBefore) * 1000) / r.requests : undefined;
    rows.push({
      target,
      size,
      rps: r.rps,
      requests: r.requests,
      p50Ms: r.p50Ms,
      p90Ms: r.p90Ms,
      p99Ms: r.p99Ms,
      maxMs: r.maxMs,
      errors: r.errors,
      non2xx: r.non2xx,
      socketErrors: r.socketErrors,
      warmupErrors: warm.errors,
      cpuPerReqUs,
    });
    const cpu = cpuPerReqUs === undefined ? '' : `, CPU ${cpuPerReqUs.toFixed(0)} µs/request`;
    log(`  ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, errors ${r.errors}${cpu}`);
  }
}

function fmtMs(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

function fmtErrors(r: Row): string {
  if (r.errors === 0) return '0';
  const s = r.socketErrors;
  return `${r.errors} (non-2xx ${r.non2xx}, connect ${s.connect}, read ${s.read}, write ${s.write}, timeout ${s.timeout})`;
}

async function main(): Promise<number> {
  // Preflight: the tools the bench drives.
  const missing: string[] = [];
  if (!which('wrk')) missing.push('wrk (Debian package "wrk")');
  if (!which('mitmdump')) missing.push('mitmdump (Debian package "mitmproxy")');
  if (missing.length > 0) {
    process.stderr.write(`proxy-bench: missing ${missing.join(' and ')}. Install with:\n  ${INSTALL_HINT}\n`);
    return 2;
  }
  const hasNginx = which('nginx') !== undefined;
  if (!hasNginx) {
    process.stderr.write(
      `\n*** WARNING: nginx is not installed: using a Node upstream instead. Figures are NOT comparable with the ` +
        `baseline.\n*** Install it with: apt-get install -y nginx\n\n`,
    );
  }

  const versions = {
    node: process.version,
    nginx: hasNginx ? toolVersion('nginx', ['-v']) : 'not installed (Node upstream used)',
    wrk: toolVersion('wrk', ['-v']),
    mitmdump: toolVersion('mitmdump', ['--version']),
  };
  log(`tools: ${JSON.stringify(versions)}`);

  const upstream: Upstream = hasNginx ? await startNginx() : await startNodeUpstream();
  log(`upstream (${upstream.kind}) on 127.0.0.1:${upstream.port}`);
  const rows: Row[] = [];

  // (1) direct
  await measure('nginx direct', `http://127.0.0.1:${upstream.port}`, rows);

  // (2) bare Node pipe proxy
  const pipe = await startPipeProxy(upstream.port);
  await measure('node pipe proxy', pipe.baseUrl, rows, pipe.child.pid);
  await stopChild(pipe.child);

  // (3) ours and (4) mitmdump, both up, measured alternately per size: the two figures whose ratio is a target are
  // taken seconds apart, so load from other work on this shared machine skews them less.
  const ours = await startOurServer(serverNodeFlags);
  log(`traffic-recorder API on ${ours.apiUrl} (pid ${ours.child.pid}, node flags: ${serverNodeFlags.join(' ') || 'none'})`);
  const wrkSession = await startReverseSession(ours, upstream.port);
  log(`recording session ${wrkSession.id} on ${wrkSession.proxyUrl}`);
  const staged = await startOurServer(serverNodeFlags, [], NOOP_STAGES);
  const stagedSession = await startReverseSession(staged, upstream.port, { filters: BENCH_FILTERS });
  log(`pipeline row: ${NOOP_STAGES.TRAFFIC_RECORDER_BENCH_NOOP_STAGES} no-op stages, filters ${JSON.stringify(BENCH_FILTERS)} on ${stagedSession.proxyUrl}`);
  // Issue 11's check: the same server, a second session with 20 filters and 20 modification rules.
  const shapedSession = await startReverseSession(ours, upstream.port, { filters: BENCH_FILTERS, modifications: BENCH_MODIFICATIONS });
  log(`shaping row: filters and ${Object.values(BENCH_MODIFICATIONS).flat().length} modification rules on ${shapedSession.proxyUrl}`);
  const mitm = await startMitmdump(upstream.port, 'default');
  const mitmQuiet = await startMitmdump(upstream.port, 'quiet');
  log(`mitmdump on ${mitm.baseUrl} (pid ${mitm.child.pid}), mitmdump -q on ${mitmQuiet.baseUrl} (pid ${mitmQuiet.child.pid})`);
  for (const size of SIZES) {
    await measure('traffic-recorder', wrkSession.proxyUrl, rows, ours.child.pid, [size]);
    await measure(PIPELINE, stagedSession.proxyUrl, rows, staged.child.pid, [size]);
    await measure(SHAPED, shapedSession.proxyUrl, rows, ours.child.pid, [size]);
    await measure('mitmdump', mitm.baseUrl, rows, mitm.child.pid, [size]);
    await measure('mitmdump -q', mitmQuiet.baseUrl, rows, mitmQuiet.child.pid, [size]);
  }
  // More plain/variant pairs, who goes first alternating, so that the checks compare means over rounds.
  const variants = [
    { target: PIPELINE, url: stagedSession.proxyUrl, pid: staged.child.pid },
    { target: SHAPED, url: shapedSession.proxyUrl, pid: ours.child.pid },
  ];
  const pairRounds: Array<{ size: SizeKey; variant: TargetName; plain: number; staged: number }> = [];
  for (const size of SIZES) {
    const rps = (t: TargetName) => rows.find((r) => r.target === t && r.size === size)!.rps;
    for (const v of variants) pairRounds.push({ size, variant: v.target, plain: rps('traffic-recorder'), staged: rps(v.target) });
  }
  for (let round = 1; round < pipelineRounds; round++) {
    for (const size of SIZES) {
      for (const v of variants) {
        const extra: Row[] = [];
        const plainRun = () => measure('traffic-recorder', wrkSession.proxyUrl, extra, ours.child.pid, [size]);
        const variantRun = () => measure(v.target, v.url, extra, v.pid, [size]);
        log(`${v.target} pair, round ${round + 1} of ${pipelineRounds}, ${SIZE_LABEL[size]}`);
        if (round % 2 === 1) await variantRun().then(plainRun);
        else await plainRun().then(variantRun);
        const rps = (t: TargetName) => extra.find((r) => r.target === t)!.rps;
        pairRounds.push({ size, variant: v.target, plain: rps('traffic-recorder'), staged: rps(v.target) });
      }
    }
  }
  const wrkEntries = await entryStats(ours, wrkSession.id);
  const stagedEntries = await entryStats(staged, stagedSession.id);
  const shapedEntries = await entryStats(ours, shapedSession.id);
  const rssAfterWrkKiB = rssKiB(ours.child.pid);
  await stopChild(mitm.child);
  await stopChild(mitmQuiet.child);
  await stopChild(staged.child, 10_000);
  await stopChild(ours.child, 10_000);

  // Memory: a fresh server, one session, exactly memFirst then (memTotal - memFirst) more 1 KB requests.
  const memServer = await startOurServer(serverNodeFlags);
  const memSession = await startReverseSession(memServer, upstream.port);
  const memUrl = `${memSession.proxyUrl}${FILES['1k'].path}`;
  const rssStartKiB = rssKiB(memServer.child.pid);
  log(`memory: ${memFirst} requests over 50 connections to ${memUrl}`);
  const load1: LoadResult = await boundedLoad(memUrl, memFirst);
  const rssFirstNowKiB = rssKiB(memServer.child.pid);
  await sleep(2000);
  const rssFirstKiB = rssKiB(memServer.child.pid);
  log(`  ${load1.rps.toFixed(0)} req/s; RSS ${rssFirstKiB} KiB (right after: ${rssFirstNowKiB} KiB)`);
  log(`memory: ${memTotal - memFirst} more requests`);
  const load2: LoadResult = await boundedLoad(memUrl, memTotal - memFirst);
  const rssTotalNowKiB = rssKiB(memServer.child.pid);
  await sleep(2000);
  const rssTotalKiB = rssKiB(memServer.child.pid);
  log(`  ${load2.rps.toFixed(0)} req/s; RSS ${rssTotalKiB} KiB (right after: ${rssTotalNowKiB} KiB)`);
  const memEntries: EntryStats = await entryStats(memServer, memSession.id);
  await stopChild(memServer.child, 10_000);
  await stopChild(upstream.child);

  const order: TargetName[] = ['nginx direct', 'node pipe proxy', 'traffic-recorder', PIPELINE, SHAPED, 'mitmdump', 'mitmdump -q'];
  rows.sort((a, b) => order.indexOf(a.target) - order.indexOf(b.target) || SIZES.indexOf(a.size) - SIZES.indexOf(b.size));

  // Checks.
  const row = (t: TargetName, s: SizeKey): Row => {
    const r = rows.find((x) => x.target === t && x.size === s);
    if (!r) throw new Error(`internal: no row for ${t} ${s}`);
    return r;
  };
  const checks: Check[] = [];
  for (const size of SIZES) {
    const ratio = row('traffic-recorder', size).rps / row('mitmdump', size).rps;
    checks.push({ name: `ours/mitmdump throughput, ${SIZE_LABEL[size]}`, value: ratio, target: '>= 2.0', pass: ratio >= 2.0 });
  }
  const variantChecks = [
    { variant: PIPELINE, label: '20 filters + 20 no-op stages', floor: 0.95 },
    { variant: SHAPED, label: '20 filters + 20 modification rules', floor: 0.9 },
  ];
  for (const { variant, label, floor } of variantChecks) {
    for (const size of SIZES) {
      const pairs = pairRounds.filter((p) => p.size === size && p.variant === variant);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const ratio = mean(pairs.map((p) => p.staged)) / mean(pairs.map((p) => p.plain));
      checks.push({
        name: `${label} / plain throughput, ${SIZE_LABEL[size]} (mean of ${pairs.length} alternating pairs)`,
        value: ratio,
        target: `>= ${floor.toFixed(2)}`,
        pass: ratio >= floor,
        detail: `rounds: ${pairs.map((p) => (p.staged / p.plain).toFixed(2)).join(', ')}`,
      });
    }
  }
  const informational: string[] = [];
  for (const size of SIZES) {
    const ratio = row(PIPELINE, size).rps / row('mitmdump', size).rps;
    informational.push(`(ours with 20 filters + 20 no-op stages)/mitmdump throughput, ${SIZE_LABEL[size]}: ${ratio.toFixed(2)}`);
  }
  for (const size of SIZES) {
    const ratio = row('traffic-recorder', size).rps / row('mitmdump -q', size).rps;
    informational.push(`ours/(mitmdump -q, its fastest setting: no flow output) throughput, ${SIZE_LABEL[size]}: ${ratio.toFixed(2)}`);
  }
  for (const size of SIZES) {
    const p99 = row('traffic-recorder', size).p99Ms;
    checks.push({ name: `ours p99, ${SIZE_LABEL[size]} (ms)`, value: p99, target: '<= 100', pass: p99 <= 100 });
  }
  const rssRatio = rssFirstKiB && rssTotalKiB ? rssTotalKiB / rssFirstKiB : Number.NaN;
  checks.push({
    name: `RSS@${memTotal / 1000}k / RSS@${memFirst / 1000}k`,
    value: rssRatio,
    target: '<= 1.20',
    pass: rssRatio <= 1.2,
    detail: `${((rssFirstKiB ?? 0) / 1024).toFixed(1)} MiB -> ${((rssTotalKiB ?? 0) / 1024).toFixed(1)} MiB`,
  });
  const oursRows = rows.filter((r) => r.target === 'traffic-recorder' || r.target === PIPELINE || r.target === SHAPED);
  const wrkFailed = oursRows.reduce((n, r) => n + r.errors + r.warmupErrors, 0);
  const loadFailed = load1.non2xx + load1.socketErrors + load2.non2xx + load2.socketErrors;
  const failed = wrkFailed + loadFailed;
  const recorded500 = (wrkEntries.statuses['500'] ?? 0) + (memEntries.statuses['500'] ?? 0);
  checks.push({
    name: 'failed requests through ours',
    value: failed,
    target: '0',
    pass: failed === 0,
    detail: `wrk (incl. warm-ups): ${wrkFailed}; bounded loads: ${loadFailed}; 500s among recorded entries: ${recorded500}`,
  });
  // The pipeline session's filters pass every bench request: it must hold as many entries as the plain one.
  for (const [label, stats] of [['wrk session', wrkEntries], ['pipeline session', stagedEntries], ['shaping session', shapedEntries], ['memory session', memEntries]] as const) {
    checks.push({
      name: `entries recorded (${label})`,
      value: stats.total,
      target: '1000 (FIFO cap)',
      pass: stats.total === 1000,
      detail: `statuses of held entries: ${JSON.stringify(stats.statuses)}`,
    });
  }

  // Report.
  const out: string[] = [];
  out.push(`## Proxy benchmark (${new Date().toISOString()}, ${cpus().length} cores, Node ${process.version})`);
  out.push('');
  out.push(`Upstream: ${versions.nginx}; wrk -t2 -c50 -d${durationS}s --latency after a ${warmupS}s warm-up per target and size; ours and mitmdump alternate per size; all on 127.0.0.1.`);
  out.push(`Server child node flags: ${serverNodeFlags.join(' ') || 'none'}`);
  out.push('');
  out.push('| target | size | req/s | p50 | p99 | errors | proxy CPU µs/req |');
  out.push('|---|---|---:|---:|---:|---|---:|');
  for (const r of rows) {
    const cpu = r.cpuPerReqUs === undefined ? '-' : r.cpuPerReqUs.toFixed(0);
    out.push(`| ${r.target} | ${SIZE_LABEL[r.size]} | ${r.rps.toFixed(0)} | ${fmtMs(r.p50Ms)} | ${fmtMs(r.p99Ms)} | ${fmtErrors(r)} | ${cpu} |`);
  }
  out.push('');
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  out.push(`Load average at the end (the machine is shared; ratios in one run count, absolute figures are noisy): ${load}`);
  for (const size of SIZES) {
    const ourCpu = row('traffic-recorder', size).cpuPerReqUs;
    const mitmCpu = row('mitmdump', size).cpuPerReqUs;
    if (ourCpu && mitmCpu) {
      out.push(
        `CPU per request, ${SIZE_LABEL[size]} (informational, insensitive to other load): mitmdump/ours = ${(mitmCpu / ourCpu).toFixed(2)}`,
      );
    }
  }
  for (const line of informational) out.push(`Informational: ${line}`);
  out.push('');
  out.push(
    `Memory (fresh server, one session, 1 KB, 50 keep-alive connections): RSS at start ${((rssStartKiB ?? 0) / 1024).toFixed(1)} MiB; ` +
      `after ${memFirst} requests ${((rssFirstKiB ?? 0) / 1024).toFixed(1)} MiB (${load1.rps.toFixed(0)} req/s); ` +
      `after ${memTotal} requests ${((rssTotalKiB ?? 0) / 1024).toFixed(1)} MiB (${load2.rps.toFixed(0)} req/s). ` +
      `RSS after the wrk runs: ${((rssAfterWrkKiB ?? 0) / 1024).toFixed(1)} MiB.`,
  );
  printReport(out, checks);

  const result = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    versions,
    upstream: upstream.kind,
    wrk: { threads: 2, connections: 50, durationS, warmupS },
    serverNodeFlags,
    results: rows,
    pipelinePairs: pairRounds,
    memory: {
      requestsFirst: memFirst,
      requestsTotal: memTotal,
      rssStartKiB,
      rssFirstKiB,
      rssFirstImmediateKiB: rssFirstNowKiB,
      rssTotalKiB,
      rssTotalImmediateKiB: rssTotalNowKiB,
      ratio: rssRatio,
      rssAfterWrkKiB,
      loads: [load1, load2],
    },
    entries: { wrkSession: wrkEntries, pipelineSession: stagedEntries, shapingSession: shapedEntries, memorySession: memEntries },
    checks,
    pass: checks.every((c) => c.pass),
  };
  writeResult(opts.out, result, log);

  if (failed > 0) {
    process.stderr.write(
      `\n!!! ${failed} FAILED REQUESTS THROUGH OUR RECORDING PROXY (wrk: ${wrkFailed}, bounded loads: ${loadFailed}; ` +
        `load statuses ${JSON.stringify(load1.statuses)} / ${JSON.stringify(load2.statuses)}; ` +
        `samples ${JSON.stringify([...load1.errorSamples, ...load2.errorSamples])}) !!!\n`,
    );
  }
  return exitCodeOf(checks);
}

await runMain('proxy-bench', main);
