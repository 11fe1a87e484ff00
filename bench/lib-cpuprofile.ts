/** Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self and inclusive time by function and by origin. */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionCost {
  key: string;
  origin: string;
  selfMs: number;
  selfPct: number;
  totalMs: number;
  totalPct: number;
}

export interface ProfileSummary {
  file: string;
  /** The profile's own span and the measured window inside it (ms). */
  windowMs?: { from: number; to: number };
  durationMs: number;
  samples: number;
  /** Self time by origin (mockttp, our code, node internals, GC, idle, other packages). */
  byOrigin: Array<{ origin: string; selfMs: number; selfPct: number }>;
  /** Sorted by self time. */
  functions: FunctionCost[];
  /** Self time of every frame attributed to its nearest non-Node ancestor frame (ours, mockttp, a package). */
  byAppFrame: Array<{ key: string; origin: string; ms: number; pct: number }>;
  byAppOrigin: Array<{ origin: string; ms: number; pct: number }>;
  /** For the costliest Node/native functions: the nearest app frames that called them. */
  callersOf: Array<{ key: string; pct: number; callers: Array<{ key: string; pct: number }> }>;
}

/** A window on CLOCK_MONOTONIC in microseconds (process.hrtime), the clock V8's profile timestamps use on Linux. */
export interface SampleWindow {
  fromUs: number;
  toUs: number;
}

const APP_ORIGINS = (origin: string): boolean => origin === 'ours' || origin === 'mockttp' || origin.startsWith('pkg:') || origin === 'other' || origin === 'sql.js (wasm)';

export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Where a frame's code lives: mockttp, our dist/src-main, a node_modules package, Node's own JS, or a V8 pseudo-frame. */
export function originOf(frame: CallFrame): string {
  const url = frame.url;
  if (url.startsWith('wasm://')) return 'sql.js (wasm)';
  if (!url) {
    if (frame.functionName === '(garbage collector)') return 'GC';
    if (frame.functionName === '(idle)') return 'idle';
    if (frame.functionName === '(program)') return 'program (native, unattributed)';
    return 'native';
  }
  if (url.startsWith('node:')) return 'node internals';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm) return nm[1] === 'mockttp' ? 'mockttp' : `pkg:${nm[1]}`;
  if (url.includes('/dist/src-main/') || url.includes('/dist/src-shared/')) return 'ours';
  return 'other';
}

function shortUrl(url: string): string {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

function keyOf(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  return `${shortUrl(frame.url)}:${frame.lineNumber + 1} ${name}`;
}

/** `window` is absolute (CLOCK_MONOTONIC µs) or, with `relative`, µs after the profile's start. */
export function summarizeProfile(file: string, window?: SampleWindow, relative = false): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  if (window && relative) window = { fromUs: profile.startTime + window.fromUs, toUs: profile.startTime + window.toUs };
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, { ms: number; origin: string }>();
  const total = new Map<string, number>();
  const origins = new Map<string, number>();
  const appFrames = new Map<string, { ms: number; origin: string }>();
  const callers = new Map<string, Map<string, number>>();
  let sum = 0;
  let counted = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    const ms = delta / 1000;
    if (ms <= 0) continue;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    sum += ms;
    counted++;
    const key = keyOf(node.callFrame);
    const origin = originOf(node.callFrame);
    const s = self.get(key) ?? { ms: 0, origin };
    s.ms += ms;
    self.set(key, s);
    origins.set(origin, (origins.get(origin) ?? 0) + ms);
    const seen = new Set<string>();
    let app: { key: string; origin: string } | undefined;
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      const k = keyOf(frame);
      if (!app && APP_ORIGINS(originOf(frame))) app = { key: k, origin: originOf(frame) };
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + ms);
    }
    const appKey = app?.key ?? `(no app frame) ${origin}`;
    const a = appFrames.get(appKey) ?? { ms: 0, origin: app?.origin ?? origin };
    a.ms += ms;
    appFrames.set(appKey, a);
    if (!APP_ORIGINS(origin)) {
      const c = callers.get(key) ?? new Map<string, number>();
      c.set(appKey, (c.get(appKey) ?? 0) + ms);
      callers.set(key, c);
    }
  }
  const pct = (ms: number): number => (sum > 0 ? (100 * ms) / sum : 0);
  const functions: FunctionCost[] = [...self.entries()]
    .map(([key, s]) => ({ key, origin: s.origin, selfMs: s.ms, selfPct: pct(s.ms), totalMs: total.get(key) ?? 0, totalPct: pct(total.get(key) ?? 0) }))
    .sort((a, b) => b.selfMs - a.selfMs);
  // Functions with little self time but large inclusive time matter too (e.g. our hooks): keep them reachable.
  for (const [key, ms] of total) {
    if (!self.has(key)) functions.push({ key, origin: '', selfMs: 0, selfPct: 0, totalMs: ms, totalPct: pct(ms) });
  }
  const byOrigin = [...origins.entries()].map(([origin, ms]) => ({ origin, selfMs: ms, selfPct: pct(ms) })).sort((a, b) => b.selfMs - a.selfMs);
  const byAppFrame = [...appFrames.entries()]
    .map(([key, a]) => ({ key, origin: a.origin, ms: a.ms, pct: pct(a.ms) }))
    .sort((a, b) => b.ms - a.ms);
  const appOrigins = new Map<string, number>();
  for (const a of byAppFrame) appOrigins.set(a.origin, (appOrigins.get(a.origin) ?? 0) + a.ms);
  const byAppOrigin = [...appOrigins.entries()].map(([origin, ms]) => ({ origin, ms, pct: pct(ms) })).sort((a, b) => b.ms - a.ms);
  const callersOf = functions
    .filter((f) => callers.has(f.key) && f.selfMs > 0)
    .slice(0, 10)
    .map((f) => ({
      key: f.key,
      pct: f.selfPct,
      callers: [...callers.get(f.key)!.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([key, ms]) => ({ key, pct: pct(ms) })),
    }));
  return {
    file,
    windowMs: window ? { from: (window.fromUs - profile.startTime) / 1000, to: (window.toUs - profile.startTime) / 1000 } : undefined,
    durationMs: sum,
    samples: counted,
    byOrigin,
    functions,
    byAppFrame,
    byAppOrigin,
    callersOf,
  };
}

export function formatSummary(s: ProfileSummary, top = 30): string {
  const lines: string[] = [];
  const win = s.windowMs ? ` (window ${(s.windowMs.from / 1000).toFixed(1)}-${(s.windowMs.to / 1000).toFixed(1)} s after profile start)` : '';
  lines.push(`Profile ${s.file}: ${s.samples} samples, ${(s.durationMs / 1000).toFixed(1)} s${win}`);
  lines.push('');
  lines.push('| origin | self % | self ms |');
  lines.push('|---|---:|---:|');
  for (const o of s.byOrigin) lines.push(`| ${o.origin} | ${o.selfPct.toFixed(1)} | ${o.selfMs.toFixed(0)} |`);
  lines.push('');
  lines.push(`Top ${top} functions by self time (% of all samples, idle included):`);
  lines.push('');
  lines.push('| # | function (file:line name) | origin | self % | total % |');
  lines.push('|---:|---|---|---:|---:|');
  s.functions
    .filter((f) => f.selfMs > 0)
    .slice(0, top)
    .forEach((f, i) => lines.push(`| ${i + 1} | ${f.key} | ${f.origin} | ${f.selfPct.toFixed(2)} | ${f.totalPct.toFixed(1)} |`));
  lines.push('');
  lines.push('Self time attributed to the nearest app frame (Node/native work charged to whoever called it), by origin:');
  lines.push('');
  lines.push('| origin | % |');
  lines.push('|---|---:|');
  for (const o of s.byAppOrigin) lines.push(`| ${o.origin} | ${o.pct.toFixed(1)} |`);
  lines.push('');
  lines.push('| # | nearest app frame | origin | % |');
  lines.push('|---:|---|---|---:|');
  s.byAppFrame.slice(0, top).forEach((a, i) => lines.push(`| ${i + 1} | ${a.key} | ${a.origin} | ${a.pct.toFixed(2)} |`));
  lines.push('');
  lines.push('Costliest Node/native functions and the app frames that called them:');
  lines.push('');
  for (const c of s.callersOf) {
    lines.push(`- ${c.key} (${c.pct.toFixed(2)} %): ${c.callers.map((x) => `${x.key} ${x.pct.toFixed(2)} %`).join('; ')}`);
  }
  lines.push('');
  lines.push('mockttp by inclusive time:');
  lines.push('');
  lines.push('| function | total % | self % |');
  lines.push('|---|---:|---:|');
  s.functions
    .filter((f) => f.key.startsWith('node_modules/mockttp/'))
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, 12)
    .forEach((f) => lines.push(`| ${f.key} | ${f.totalPct.toFixed(1)} | ${f.selfPct.toFixed(2)} |`));
  lines.push('');
  lines.push('Our code (dist/src-main) by inclusive time:');
  lines.push('');
  lines.push('| function | total % | self % |');
  lines.push('|---|---:|---:|');
  s.functions
    .filter((f) => f.key.startsWith('dist/src-main/') || f.key.startsWith('dist/src-shared/'))
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, 15)
    .forEach((f) => lines.push(`| ${f.key} | ${f.totalPct.toFixed(1)} | ${f.selfPct.toFixed(2)} |`));
  return lines.join('\n');
}
