/**
 * Where our recording proxy spends its time: runs the real server child under `node --cpu-prof`, drives the 1 KB
 * (or 100 KB) file through a recording reverse session to nginx with wrk, stops the server (SIGTERM, so the profile
 * is written) and prints self/inclusive time by function and by origin (mockttp vs dist/src-main vs Node).
 *
 *   node --import tsx bench/proxy-profile.ts [--size 1k|100k] [--duration 10] [--server-node-flags "..."]
 *                                           [--prof-dir DIR] [--top 30] [--json FILE] [--no-profile]
 *                                           [--serve-args "--body-limit 0 ..."]
 *   node --import tsx bench/proxy-profile.ts --summarize FILE.cpuprofile [--window FROM-TO (s after profile start)]
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatSummary, monotonicUs, summarizeProfile } from './lib-cpuprofile.js';
import { cpuMs, makeTempDir, rssKiB, stopChild, which, runMain } from './lib-procs.js';
import { FILES, INSTALL_HINT, startNginx, startNodeUpstream, startOurServer, startReverseSession, type SizeKey } from './lib-targets.js';
import { runWrk } from './lib-wrk.js';

const { values: opts } = parseArgs({
  options: {
    size: { type: 'string', default: '1k' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    'server-node-flags': { type: 'string', default: process.env.BENCH_SERVER_NODE_FLAGS ?? '' },
    'prof-dir': { type: 'string' },
    top: { type: 'string', default: '30' },
    json: { type: 'string' },
    summarize: { type: 'string' },
    window: { type: 'string' },
    'no-profile': { type: 'boolean', default: false },
    'serve-args': { type: 'string', default: '' },
  },
});

async function main(): Promise<number> {
  const top = Number(opts.top);
  if (opts.summarize) {
    // --window FROM-TO: seconds after the profile's start (e.g. the wrk run), to leave out start-up and warm-up.
    const w = opts.window ? /^([\d.]+)-([\d.]+)$/.exec(opts.window) : undefined;
    if (opts.window && !w) throw new Error('--window must be FROM-TO in seconds, e.g. 4.4-14.5');
    const window = w ? { fromUs: Number(w[1]) * 1e6, toUs: Number(w[2]) * 1e6 } : undefined;
    process.stdout.write(`${formatSummary(summarizeProfile(opts.summarize, window, true), top)}\n`);
    return 0;
  }
  if (!which('wrk')) {
    process.stderr.write(`proxy-profile: wrk is missing. Install with:\n  ${INSTALL_HINT}\n`);
    return 2;
  }
  if (opts.size !== '1k' && opts.size !== '100k') throw new Error('--size must be 1k or 100k');
  const size: SizeKey = opts.size;
  const profile = !opts['no-profile'];
  const profDir = opts['prof-dir'] ?? makeTempDir('bench-prof-');
  mkdirSync(profDir, { recursive: true });
  const extraFlags = opts['server-node-flags'].split(/\s+/).filter((f) => f !== '');
  const flags = [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), ...extraFlags];

  const upstream = which('nginx') ? await startNginx() : await startNodeUpstream();
  if (upstream.kind !== 'nginx') process.stderr.write('WARNING: nginx is not installed (apt-get install -y nginx): Node upstream used\n');
  const server = await startOurServer(flags, opts['serve-args'].split(/\s+/).filter((a) => a !== ''));
  const session = await startReverseSession(server, upstream.port);
  const url = `${session.proxyUrl}${FILES[size].path}`;
  process.stderr.write(`server pid ${server.child.pid}, flags: ${flags.join(' ')}\nwarm-up ${opts.warmup}s, then wrk ${opts.duration}s on ${url}\n`);
  const warm = await runWrk(url, { durationS: Number(opts.warmup) });
  const fromUs = monotonicUs();
  const cpuBefore = cpuMs(server.child.pid) ?? Number.NaN;
  const r = await runWrk(url, { durationS: Number(opts.duration) });
  const cpuPerReqUs = (((cpuMs(server.child.pid) ?? Number.NaN) - cpuBefore) * 1000) / r.requests;
  const toUs = monotonicUs();
  const rss = rssKiB(server.child.pid);
  const line =
    `flags [${extraFlags.join(' ') || 'none'}] ${size}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(1)} ms, ` +
    `p99 ${r.p99Ms.toFixed(1)} ms, server CPU ${cpuPerReqUs.toFixed(0)} µs/request, errors ${r.errors} (warm-up errors ${warm.errors}), RSS ${((rss ?? 0) / 1024).toFixed(1)} MiB` +
    `${profile ? ' (under --cpu-prof)' : ''}`;
  process.stdout.write(`${line}\n`);
  await stopChild(server.child, 20_000);
  await stopChild(upstream.child);
  if (opts.json) {
    writeFileSync(opts.json, `${JSON.stringify({ flags: extraFlags, size, profiled: profile, rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms, cpuPerReqUs, errors: r.errors, rssKiB: rss }, null, 2)}\n`);
  }
  if (!profile) return 0;
  const files = readdirSync(profDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(profDir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (files.length === 0) throw new Error(`no .cpuprofile written in ${profDir}`);
  // Only the samples taken while wrk measured (V8 and process.hrtime share CLOCK_MONOTONIC on Linux).
  const summary = summarizeProfile(files[0]!, { fromUs, toUs });
  if (summary.samples === 0) throw new Error('no samples inside the measured window: clocks differ?');
  process.stdout.write(`\n${formatSummary(summary, top)}\n`);
  return 0;
}

await runMain('proxy-profile', main);
