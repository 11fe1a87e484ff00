/**
 * HTTPS benchmark (`npm run bench:https`, not part of `npm test`): HTTPS through our intercepting (MITM) forward
 * session vs `mitmdump --mode regular` signing with the SAME CA, against an nginx TLS upstream on 127.0.0.1, plus the
 * same load sent directly to nginx (to show the load generator is not the bottleneck). The client is
 * bench/https-load.ts (undici ProxyAgent, CONNECT, 50 keep-alive connections, trusting only our CA). Then the
 * first-request latency to 100 hosts the proxies have never seen (leaf generation), against a second request to an
 * already-seen host. Prints a Markdown table, writes bench/results/https-latest.json, exits non-zero when a target
 * is missed.
 *
 * Needs the Debian packages nginx, mitmproxy and openssl (`apt-get install -y nginx mitmproxy openssl`).
 *
 * Options: --duration S (10), --warmup S (3), --connections N (50), --hosts N (100),
 *          --rounds N (3: ours and mitmdump measured alternately N times per size; the check compares their
 *          mean req/s, so drift on a shared machine hits both alike), --sizes 1k,100k, --serve-args "--body-limit 1 ...", --server-node-flags "--cpu-prof ..." (also BENCH_SERVER_NODE_FLAGS), --out FILE (bench/results/https-latest.json)
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { parseArgs } from 'node:util';
import { ProxyAgent } from 'undici';
import { commonBenchOptions, exitCodeOf, machineInfo, printReport, writeResult, type Check } from './lib-report.js';
import { cpuMs, makeTempDir, rssKiB, startChild, stopChild, which, runMain } from './lib-procs.js';
import {
  FILES,
  entryStats,
  generateCa,
  nginxStatus,
  projectRoot,
  startForwardMitmSession,
  startMitmdumpForward,
  startNginxTls,
  startOurServer,
  type EntryStats,
  type SizeKey,
} from './lib-targets.js';

const { values: opts } = parseArgs({
  options: {
    ...commonBenchOptions(projectRoot, 'https-latest.json'),
    connections: { type: 'string', default: '50' },
    hosts: { type: 'string', default: '100' },
    sizes: { type: 'string', default: '1k,100k' },
    rounds: { type: 'string', default: '3' },
    'serve-args': { type: 'string', default: '' },
  },
});
const durationS = Number(opts.duration);
const rounds = Number(opts.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) throw new Error('--rounds must be an integer from 1 to 10');
const warmupS = Number(opts.warmup);
const connections = Number(opts.connections);
const hostCount = Number(opts.hosts);
for (const [name, v] of [['duration', durationS], ['warmup', warmupS], ['connections', connections], ['hosts', hostCount]] as const) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
}
if (hostCount > 250) throw new Error('--hosts must be <= 250 (127.0.0.2 .. 127.0.0.251)');

type TargetName = 'direct (no proxy)' | 'traffic-recorder MITM' | 'mitmdump (same CA)';
const SIZES = opts.sizes.split(',').map((s) => s.trim()) as SizeKey[];
if (SIZES.length === 0 || SIZES.some((s) => s !== '1k' && s !== '100k')) throw new Error('--sizes must list 1k and/or 100k, e.g. 1k,100k');
const SIZE_LABEL: Record<SizeKey, string> = { '1k': '1 KB', '100k': '100 KB' };

interface LoadOut {
  requests: number;
  ok: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  statuses: Record<string, number>;
  errorSamples: string[];
  warmupRequests: number;
  warmupErrors: number;
  mbPerS: number;
  loadgenCpuPct: number;
  durationS: number;
}

interface Row extends LoadOut {
  target: TargetName;
  size: SizeKey;
  /** 1-based round of the alternating ours/mitmdump measurement (direct: 1). */
  round: number;
  /** CPU the proxy process used per request during the window (µs); robust to other load on the machine. */
  proxyCpuPerReqUs?: number;
  /** TCP connections nginx accepted during warm-up + window (each one a TLS handshake upstream). */
  upstreamConnections: number;
}


function log(msg: string): void {
  process.stderr.write(`[https-bench] ${msg}\n`);
}

function toolVersion(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'unknown';
}

async function runLoad(url: string, caFile: string, proxy?: string): Promise<LoadOut> {
  const args = ['--url', url, '--ca', caFile, '--connections', String(connections), '--duration', String(durationS), '--warmup', String(warmupS)];
  if (proxy) args.push('--proxy', proxy);
  const child = startChild(`https-load ${proxy ?? 'direct'}`, process.execPath, ['--import', 'tsx', join(projectRoot, 'bench', 'https-load.ts'), ...args], {
    cwd: projectRoot,
  });
  const code = await child.exited;
  const line = child.output().trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`https-load failed (exit ${code}):\n${child.output().slice(-2000)}`);
  return JSON.parse(line) as LoadOut;
}

// ---- leaf chain check ----

interface LeafInfo {
  proxy: string;
  host: string;
  authorized: boolean;
  authorizationError?: string;
  subject: string;
  issuer: string;
  subjectAltName: string;
  /** The leaf's signature verifies with our CA's public key and its issuer is our CA's subject. */
  chainsToOurCa: boolean;
  leafKeyType: string;
  /** mitmproxy signs leaves for the CA's own key pair; ours makes a key per leaf. */
  leafKeyIsCaKey: boolean;
}

/** CONNECT through `proxyUrl`, TLS to host:port trusting only `caPem`, and inspect the leaf the proxy presents. */
async function inspectLeaf(proxyUrl: string, host: string, port: number, caPem: string): Promise<LeafInfo> {
  const proxy = new URL(proxyUrl);
  const socket = await new Promise<Socket>((resolve, reject) => {
    const req = httpRequest({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: `${host}:${port}`, headers: { host: `${host}:${port}` } });
    req.setTimeout(10_000, () => req.destroy(new Error('CONNECT timed out')));
    req.once('connect', (res, sock) => (res.statusCode === 200 ? resolve(sock) : reject(new Error(`CONNECT answered ${res.statusCode}`))));
    req.once('error', reject);
    req.end();
  });
  const isIp = /^\d+\.\d+\.\d+\.\d+$/.test(host);
  const tls = await new Promise<ReturnType<typeof tlsConnect>>((resolve, reject) => {
    const s = tlsConnect({ socket, host, ca: caPem, servername: isIp ? undefined : host, rejectUnauthorized: false }, () => resolve(s));
    s.once('error', reject);
  });
  const peer = tls.getPeerCertificate(false);
  const authorized = tls.authorized;
  const authorizationError = tls.authorizationError ? String(tls.authorizationError) : undefined;
  tls.destroy();
  const leaf = new X509Certificate(peer.raw);
  const ca = new X509Certificate(caPem);
  const chainsToOurCa = leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  const der = (k: typeof ca.publicKey): string => k.export({ type: 'spki', format: 'der' }).toString('base64');
  return {
    proxy: proxyUrl,
    host,
    authorized,
    authorizationError,
    subject: leaf.subject.replace(/\n/g, ', '),
    issuer: leaf.issuer.replace(/\n/g, ', '),
    subjectAltName: leaf.subjectAltName ?? '',
    chainsToOurCa,
    leafKeyType: `${leaf.publicKey.asymmetricKeyType ?? '?'}${leaf.publicKey.asymmetricKeyDetails?.namedCurve ? ` ${leaf.publicKey.asymmetricKeyDetails.namedCurve}` : ''}`,
    leafKeyIsCaKey: der(leaf.publicKey) === der(ca.publicKey),
  };
}

// ---- first-request latency to new hosts ----

/** One GET over a brand-new client connection through `proxyUrl` (no TLS session reuse); ms to the last body byte. */
async function timeOneRequest(proxyUrl: string, url: string, caPem: string): Promise<{ ms: number; status: number; error?: string }> {
  const agent = new ProxyAgent({ uri: proxyUrl, requestTls: { ca: caPem, maxCachedSessions: 0 }, connections: 1 });
  const u = new URL(url);
  const t0 = performance.now();
  try {
    const res = await agent.request({ origin: u.origin, path: u.pathname, method: 'GET', headersTimeout: 30_000, bodyTimeout: 30_000 });
    await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
    return { ms: performance.now() - t0, status: res.statusCode };
  } catch (e) {
    return { ms: performance.now() - t0, status: 0, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  } finally {
    await agent.close().catch(() => undefined);
  }
}

interface LatencyStats {
  n: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  meanMs: number;
}

function stats(values: number[]): LatencyStats {
  const v = [...values].sort((a, b) => a - b);
  const pct = (p: number): number => (v.length ? v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]! : Number.NaN);
  return { n: v.length, p50Ms: pct(50), p95Ms: pct(95), maxMs: v.length ? v[v.length - 1]! : Number.NaN, meanMs: v.reduce((a, b) => a + b, 0) / (v.length || 1) };
}

function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

function fmtErrors(r: Row): string {
  const total = r.errors + r.non2xx;
  if (total === 0 && r.warmupErrors === 0) return '0';
  const parts = [`non-2xx ${r.non2xx}`, `socket/TLS ${r.errors}`];
  if (r.warmupErrors > 0) parts.push(`warm-up ${r.warmupErrors}`);
  return `${total} (${parts.join(', ')})`;
}

async function main(): Promise<number> {
  const missing = ['nginx', 'mitmdump', 'openssl'].filter((c) => !which(c));
  if (missing.length > 0) {
    process.stderr.write(`https-bench: missing ${missing.join(', ')}. Install with:\n  apt-get install -y nginx mitmproxy openssl\n`);
    return 2;
  }
  const versions = {
    node: process.version,
    nginx: toolVersion('nginx', ['-v']),
    mitmdump: toolVersion('mitmdump', ['--version']),
    openssl: toolVersion('openssl', ['version']),
  };
  log(`tools: ${JSON.stringify(versions)}`);

  // New hosts for the leaf test: distinct loopback IP literals (h001.localhost does not resolve here, and /etc/hosts
  // and DNS stay untouched). nginx listens on each of them too.
  const leafHosts = Array.from({ length: hostCount }, (_, i) => `127.0.0.${i + 2}`);
  const upstream = await startNginxTls(leafHosts);
  const tmp = makeTempDir('bench-https-');
  const upstreamCaFile = join(tmp, 'upstream-cert.pem');
  writeFileSync(upstreamCaFile, upstream.certPem);
  log(`nginx TLS upstream on ${upstream.hosts.length} loopback addresses, port ${upstream.port}`);

  const ours = await startOurServer(
    opts['server-node-flags'].split(/\s+/).filter((f) => f !== ''),
    opts['serve-args'].split(/\s+/).filter((a) => a !== ''),
  );
  const ca = await generateCa(ours);
  const session = await startForwardMitmSession(ours);
  log(`traffic-recorder API ${ours.apiUrl} (pid ${ours.child.pid}); MITM forward session ${session.id} on ${session.proxyUrl}`);
  const mitm = await startMitmdumpForward(ca);
  log(`mitmdump --mode regular on ${mitm.baseUrl} (pid ${mitm.child.pid}), confdir ${mitm.confdir} with our CA`);

  // Both proxies must present leaves that chain to OUR CA, or the comparison means nothing.
  const leafChecks: LeafInfo[] = [];
  for (const [name, proxyUrl] of [['ours', session.proxyUrl], ['mitmdump', mitm.baseUrl]] as const) {
    for (const host of ['localhost', leafHosts[0]!]) {
      const info = await inspectLeaf(proxyUrl, host, upstream.port, ca.certPem);
      leafChecks.push(info);
      log(`${name} leaf for ${host}: authorized=${info.authorized} chainsToOurCa=${info.chainsToOurCa} issuer="${info.issuer}" SAN="${info.subjectAltName}" key ${info.leafKeyType}${info.leafKeyIsCaKey ? ' (= CA key)' : ''}`);
      if (!info.authorized || !info.chainsToOurCa) {
        throw new Error(`${name}: the leaf for ${host} does not chain to our CA (${info.authorizationError ?? 'signature/issuer mismatch'}); issuer ${info.issuer}`);
      }
    }
  }

  // Throughput, per size: direct, ours, mitmdump back to back (ours and mitmdump alternate per size).
  const rows: Row[] = [];
  const baseUrl = `https://localhost:${upstream.port}`;
  const measure = async (target: TargetName, size: SizeKey, round: number, proxy?: string, pid?: number): Promise<void> => {
    const url = `${baseUrl}${FILES[size].path}`;
    log(`${target} ${SIZE_LABEL[size]}, round ${round}: ${warmupS}s warm-up + ${durationS}s, ${connections} connections`);
    const before = await nginxStatus(upstream.statusUrl);
    const cpuBefore = pid === undefined ? undefined : cpuMs(pid);
    const r = await runLoad(url, proxy ? ca.certPath : upstreamCaFile, proxy);
    const cpuAfter = pid === undefined ? undefined : cpuMs(pid);
    const after = await nginxStatus(upstream.statusUrl);
    // The warm-up is in the CPU figure too: scale by all requests the proxy served in both phases.
    const served = r.requests + r.warmupRequests;
    const proxyCpuPerReqUs = cpuBefore !== undefined && cpuAfter !== undefined && served > 0 ? ((cpuAfter - cpuBefore) * 1000) / served : undefined;
    rows.push({ ...r, target, size, round, proxyCpuPerReqUs, upstreamConnections: after.accepted - before.accepted - 1 });
    log(
      `  ${r.rps.toFixed(0)} req/s, p50 ${fmtMs(r.p50Ms)}, p99 ${fmtMs(r.p99Ms)}, non-2xx ${r.non2xx}, errors ${r.errors} ` +
        `(warm-up errors ${r.warmupErrors}), load generator CPU ${r.loadgenCpuPct.toFixed(0)}%` +
        `${proxyCpuPerReqUs === undefined ? '' : `, proxy CPU ${proxyCpuPerReqUs.toFixed(0)} µs/req`}, upstream connections ${after.accepted - before.accepted - 1}` +
        `${r.errorSamples.length ? `; samples ${JSON.stringify(r.errorSamples)}` : ''}`,
    );
  };
  for (const size of SIZES) {
    await measure('direct (no proxy)', size, 1);
    for (let round = 1; round <= rounds; round++) {
      // Who goes first alternates, so neither always runs on the warmer (or more loaded) half of a round.
      const ourTurn = () => measure('traffic-recorder MITM', size, round, session.proxyUrl, ours.child.pid);
      const mitmTurn = () => measure('mitmdump (same CA)', size, round, mitm.baseUrl, mitm.child.pid);
      for (const turn of round % 2 === 1 ? [ourTurn, mitmTurn] : [mitmTurn, ourTurn]) await turn();
    }
  }
  const rssAfterLoadKiB = rssKiB(ours.child.pid);
  const ourEntries: EntryStats = await entryStats(ours, session.id);
  log(`our session holds ${ourEntries.total} entries; statuses ${JSON.stringify(ourEntries.statuses)}; entry errors ${ourEntries.errors}`);

  // First-request latency to never-seen hosts (leaf generation), alternating which proxy goes first per host.
  log(`first-request latency to ${hostCount} new hosts (${leafHosts[0]} .. ${leafHosts[leafHosts.length - 1]}), each followed by a second request`);
  const lat = {
    ours: { first: [] as number[], second: [] as number[], failures: [] as string[] },
    mitmdump: { first: [] as number[], second: [] as number[], failures: [] as string[] },
  };
  for (let i = 0; i < leafHosts.length; i++) {
    const url = `https://${leafHosts[i]}:${upstream.port}${FILES['1k'].path}`;
    const order = i % 2 === 0 ? (['ours', 'mitmdump'] as const) : (['mitmdump', 'ours'] as const);
    for (const who of order) {
      const proxyUrl = who === 'ours' ? session.proxyUrl : mitm.baseUrl;
      for (const kind of ['first', 'second'] as const) {
        const r = await timeOneRequest(proxyUrl, url, ca.certPem);
        if (r.error || r.status < 200 || r.status >= 300) lat[who].failures.push(`${leafHosts[i]} ${kind}: ${r.error ?? `HTTP ${r.status}`}`);
        else lat[who][kind].push(r.ms);
      }
    }
  }
  const leafLatency = {
    ours: { first: stats(lat.ours.first), second: stats(lat.ours.second), failures: lat.ours.failures },
    mitmdump: { first: stats(lat.mitmdump.first), second: stats(lat.mitmdump.second), failures: lat.mitmdump.failures },
  };
  for (const w of ['ours', 'mitmdump'] as const) {
    const l = leafLatency[w];
    log(`  ${w}: new host p50 ${fmtMs(l.first.p50Ms)} p95 ${fmtMs(l.first.p95Ms)} max ${fmtMs(l.first.maxMs)}; seen host p50 ${fmtMs(l.second.p50Ms)} p95 ${fmtMs(l.second.p95Ms)} max ${fmtMs(l.second.maxMs)}; failures ${l.failures.length}`);
  }
  const ourEntriesEnd: EntryStats = await entryStats(ours, session.id);
  const rssEndKiB = rssKiB(ours.child.pid);

  await stopChild(mitm.child);
  await stopChild(ours.child, 10_000);
  await stopChild(upstream.child);

  // Checks.
  const row = (t: TargetName, s: SizeKey): Row => {
    // The mean over rounds (direct runs once).
    const of = rows.filter((x) => x.target === t && x.size === s);
    if (of.length === 0) throw new Error(`internal: no row for ${t} ${s}`);
    const mean = (f: (r: Row) => number | undefined) => {
      const v = of.map(f).filter((x): x is number => x !== undefined);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
    };
    return { ...of[0]!, rps: mean((x) => x.rps)!, proxyCpuPerReqUs: mean((x) => x.proxyCpuPerReqUs), loadgenCpuPct: mean((x) => x.loadgenCpuPct)! };
  };
  const checks: Check[] = [];
  for (const size of SIZES) {
    const ratio = row('traffic-recorder MITM', size).rps / row('mitmdump (same CA)', size).rps;
    const perRound = Array.from({ length: rounds }, (_, i) => {
      const o = rows.find((x) => x.target === 'traffic-recorder MITM' && x.size === size && x.round === i + 1)!;
      const m = rows.find((x) => x.target === 'mitmdump (same CA)' && x.size === size && x.round === i + 1)!;
      return (o.rps / m.rps).toFixed(2);
    });
    checks.push({
      name: `ours/mitmdump HTTPS throughput, ${SIZE_LABEL[size]}`,
      value: ratio,
      target: '>= 2.0',
      pass: ratio >= 2.0,
      detail: `mean req/s over ${rounds} alternating rounds; per round ${perRound.join(', ')}`,
    });
  }
  const oursRows = rows.filter((r) => r.target === 'traffic-recorder MITM');
  const failed = oursRows.reduce((n, r) => n + r.errors + r.non2xx + r.warmupErrors, 0) + lat.ours.failures.length;
  checks.push({
    name: 'failed requests through ours',
    value: failed,
    target: '0',
    pass: failed === 0,
    detail: `load (incl. warm-ups): ${failed - lat.ours.failures.length}; new-host probes: ${lat.ours.failures.length}`,
  });
  const notes: string[] = [];
  for (const size of SIZES) {
    const direct = row('direct (no proxy)', size);
    const best = Math.max(row('traffic-recorder MITM', size).rps, row('mitmdump (same CA)', size).rps);
    const headroom = direct.rps / best;
    notes.push(
      `${SIZE_LABEL[size]}: direct ${direct.rps.toFixed(0)} req/s = ${headroom.toFixed(1)}x the fastest proxy ` +
        `(load generator CPU ${direct.loadgenCpuPct.toFixed(0)}% of a core direct)${headroom < 1.5 ? ' — WARNING: the load generator may cap the proxied rows' : ''}`,
    );
  }

  // Report.
  const out: string[] = [];
  out.push(`## HTTPS benchmark (${new Date().toISOString()}, ${cpus().length} cores, Node ${process.version})`);
  out.push('');
  out.push(
    `Upstream: ${versions.nginx} with TLS (self-signed EC P-256), 1 worker. Client: bench/https-load.ts (undici ` +
      `ProxyAgent, CONNECT, ${connections} keep-alive connections, trusts only our CA; direct: trusts only the upstream cert), ` +
      `${durationS}s after a ${warmupS}s warm-up. Per size: direct once, then ours and mitmdump alternately, ${rounds} rounds (who goes first alternates). ${versions.mitmdump}, ` +
      `\`--mode regular --set ssl_insecure=true\`, signing with our CA. All on loopback.`,
  );
  out.push('');
  out.push('| target | size | round | req/s | p50 | p99 | errors | proxy CPU µs/req | upstream conns | load gen CPU |');
  out.push('|---|---|---:|---:|---:|---:|---|---:|---:|---:|');
  for (const r of rows) {
    const cpu = r.proxyCpuPerReqUs === undefined ? '-' : r.proxyCpuPerReqUs.toFixed(0);
    out.push(
      `| ${r.target} | ${SIZE_LABEL[r.size]} | ${r.round} | ${r.rps.toFixed(0)} | ${fmtMs(r.p50Ms)} | ${fmtMs(r.p99Ms)} | ${fmtErrors(r)} | ${cpu} | ${r.upstreamConnections} | ${r.loadgenCpuPct.toFixed(0)}% |`,
    );
  }
  out.push('');
  out.push(`Load generator headroom: ${notes.join('; ')}.`);
  for (const size of SIZES) {
    const o = row('traffic-recorder MITM', size).proxyCpuPerReqUs;
    const m = row('mitmdump (same CA)', size).proxyCpuPerReqUs;
    if (o && m) out.push(`CPU per request, ${SIZE_LABEL[size]} (informational, insensitive to other load): mitmdump/ours = ${(m / o).toFixed(2)}`);
  }
  out.push(`Load average at the end (shared machine; ratios within one run count): ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  out.push('');
  out.push(`### First request to a never-seen host (${hostCount} hosts ${leafHosts[0]} .. ${leafHosts[leafHosts.length - 1]}, fresh connection each, 1 KB)`);
  out.push('');
  out.push('| proxy | request | p50 | p95 | max | failures |');
  out.push('|---|---|---:|---:|---:|---:|');
  for (const w of ['ours', 'mitmdump'] as const) {
    const l = leafLatency[w];
    const name = w === 'ours' ? 'traffic-recorder MITM' : 'mitmdump (same CA)';
    out.push(`| ${name} | first, new host (leaf made) | ${fmtMs(l.first.p50Ms)} | ${fmtMs(l.first.p95Ms)} | ${fmtMs(l.first.maxMs)} | ${l.failures.filter((f) => f.includes(' first:')).length} |`);
    out.push(`| ${name} | second, seen host (leaf cached) | ${fmtMs(l.second.p50Ms)} | ${fmtMs(l.second.p95Ms)} | ${fmtMs(l.second.maxMs)} | ${l.failures.filter((f) => f.includes(' second:')).length} |`);
  }
  out.push('');
  const ourLeaf = leafChecks.find((l) => l.proxy === session.proxyUrl && l.host === 'localhost')!;
  const mitmLeaf = leafChecks.find((l) => l.proxy === mitm.baseUrl && l.host === 'localhost')!;
  out.push(
    `Leaves: both chain to our CA (${ourLeaf.issuer}). Ours: ${ourLeaf.leafKeyType}, own key per leaf: ${!ourLeaf.leafKeyIsCaKey}; ` +
      `mitmdump: ${mitmLeaf.leafKeyType}, reuses the CA key pair: ${mitmLeaf.leafKeyIsCaKey}.`,
  );
  out.push(
    `Our session: ${ourEntriesEnd.total} entries at the end (statuses of held entries ${JSON.stringify(ourEntriesEnd.statuses)}, entry errors ${ourEntriesEnd.errors}); ` +
      `server RSS ${((rssAfterLoadKiB ?? 0) / 1024).toFixed(0)} MiB after the load, ${((rssEndKiB ?? 0) / 1024).toFixed(0)} MiB at the end.`,
  );
  printReport(out, checks);

  const result = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    versions,
    load: { client: 'bench/https-load.ts (undici ProxyAgent / Agent)', connections, durationS, warmupS, rounds, url: `${baseUrl}/<file>` },
    mitmdump: {
      args: ['--mode', 'regular', '--listen-host', '127.0.0.1', '-p', '<port>', '--set', 'confdir=<dir>', '--set', 'ssl_insecure=true'],
      ca: 'confdir/mitmproxy-ca.pem = our ca-key.pem (PKCS#8 EC P-256, unconverted) + ca-cert.pem',
    },
    results: rows,
    leafChecks,
    leafLatency: { hosts: leafHosts.length, firstHost: leafHosts[0], lastHost: leafHosts[leafHosts.length - 1], ...leafLatency },
    ourSession: { afterLoad: ourEntries, atEnd: ourEntriesEnd, rssAfterLoadKiB, rssEndKiB },
    checks,
    pass: checks.every((c) => c.pass),
  };
  writeResult(opts.out, result, log);

  return exitCodeOf(checks);
}

await runMain('https-bench', main);
