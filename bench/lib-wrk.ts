/** Runs wrk (Debian package `wrk`) as a tracked child process and parses its `--latency` report. */
import { startChild } from './lib-procs.js';

export interface WrkResult {
  url: string;
  requests: number;
  durationS: number;
  rps: number;
  p50Ms: number;
  p75Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** non-2xx/3xx responses plus every socket error. */
  errors: number;
  raw: string;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function toMs(value: string, unit: string): number {
  const factor = UNIT_MS[unit];
  if (factor === undefined) throw new Error(`unknown wrk time unit "${unit}"`);
  return Number(value) * factor;
}

function percentile(raw: string, pct: string): number {
  const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(raw);
  if (!m) throw new Error(`wrk output has no ${pct}% latency line:\n${raw}`);
  return toMs(m[1]!, m[2]!);
}

export function parseWrk(raw: string, url: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(raw);
  const total = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)/m.exec(raw);
  if (!rps || !total) throw new Error(`cannot parse wrk output:\n${raw}`);
  const max = /^\s*Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m|h)/m.exec(raw);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(raw);
  const socketErrors = {
    connect: sock ? Number(sock[1]) : 0,
    read: sock ? Number(sock[2]) : 0,
    write: sock ? Number(sock[3]) : 0,
    timeout: sock ? Number(sock[4]) : 0,
  };
  const non2xxCount = non2xx ? Number(non2xx[1]) : 0;
  return {
    url,
    requests: Number(total[1]),
    durationS: toMs(total[2]!, total[3]!) / 1000,
    rps: Number(rps[1]),
    p50Ms: percentile(raw, '50'),
    p75Ms: percentile(raw, '75'),
    p90Ms: percentile(raw, '90'),
    p99Ms: percentile(raw, '99'),
    maxMs: max ? toMs(max[1]!, max[2]!) : Number.NaN,
    non2xx: non2xxCount,
    socketErrors,
    errors: non2xxCount + socketErrors.connect + socketErrors.read + socketErrors.write + socketErrors.timeout,
    raw,
  };
}

export interface WrkOptions {
  threads?: number;
  connections?: number;
  durationS: number;
  timeoutS?: number;
}

export async function runWrk(url: string, options: WrkOptions): Promise<WrkResult> {
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && !u.hostname.startsWith('127.')) {
    throw new Error(`refusing to load a non-loopback address: ${url}`);
  }
  const args = [
    `-t${options.threads ?? 2}`,
    `-c${options.connections ?? 50}`,
    `-d${options.durationS}s`,
    `--timeout`,
    `${options.timeoutS ?? 5}s`,
    '--latency',
    url,
  ];
  const child = startChild(`wrk ${url}`, 'wrk', args);
  const code = await child.exited;
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${child.output()}`);
  return parseWrk(child.output(), url);
}
