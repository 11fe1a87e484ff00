/**
 * Child processes and temp dirs for the benchmarks: everything started here is tracked and torn down at the
 * end, on errors, and on Ctrl-C / SIGTERM. Each child gets its own process group so its own children die too.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Everything the child wrote to stdout and stderr so far (capped). */
  output: () => string;
  exited: Promise<number | null>;
  hasExited: () => boolean;
}

const children = new Set<Child>();
const tempDirs = new Set<string>();
let cleanupHooksInstalled = false;

function installCleanupHooks(): void {
  if (cleanupHooksInstalled) return;
  cleanupHooksInstalled = true;
  // Last resort, synchronous: the 'exit' event cannot wait for anything.
  process.on('exit', () => {
    for (const child of children) killGroup(child, 'SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal}: stopping every process the benchmark started...\n`);
    void cleanupAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
}

function killGroup(child: Child, signal: NodeJS.Signals): void {
  if (child.hasExited()) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      process.kill(child.pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export function makeTempDir(prefix: string): string {
  installCleanupHooks();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function startChild(name: string, command: string, args: string[], options: SpawnOptions = {}): Child {
  installCleanupHooks();
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options });
  if (proc.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  let out = '';
  const append = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout?.on('data', append);
  proc.stderr?.on('data', append);
  let exitedFlag = false;
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => {
      exitedFlag = true;
      resolve(code);
    });
    proc.once('error', (e) => {
      append(Buffer.from(`\n[spawn error] ${e.message}\n`));
      exitedFlag = true;
      resolve(null);
    });
  });
  const child: Child = { name, proc, pid: proc.pid, output: () => out, exited, hasExited: () => exitedFlag };
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: Child, graceMs = 5000): Promise<void> {
  if (child.hasExited()) return;
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
  // Whatever the child itself left in its group.
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* group empty */
  }
}

export async function cleanupAll(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c, 3000)));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Wait until the child's output matches `pattern`; fails early if the child exits. */
export async function waitForOutput(child: Child, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = child.output().match(pattern);
    if (m) return m;
    if (child.hasExited()) throw new Error(`${child.name} exited before it was ready:\n${child.output().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`${child.name} not ready after ${timeoutMs} ms:\n${child.output().slice(-2000)}`);
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A currently free TCP port on 127.0.0.1, chosen by the kernel (ephemeral range, never 8081-8999 in practice). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port < 8081 || port > 8999) return port;
  }
  throw new Error('no free port outside 8081-8999');
}

/** Resident set size of a process in KiB (VmRSS from /proc), or undefined if it is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Absolute path of an executable on PATH (also sbin dirs), or undefined. */
export function which(command: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${command} || ls /usr/sbin/${command} /sbin/${command} 2>/dev/null`], {
    encoding: 'utf8',
  });
  const line = r.stdout.split('\n').find((l) => l.trim() !== '');
  return line?.trim() || undefined;
}

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/**
 * CPU time (user + system, ms) a process has used, from /proc/PID/stat. Unlike throughput, CPU time per request
 * hardly moves when other work shares the cores, so it compares configurations fairly on a busy machine.
 */
function ownCpuMs(pid: number): { cpu: number; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at state (field 3); ppid is 4, utime/stime 14/15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { cpu: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/**
 * CPU time (ms) of a process and its live descendants: our server runs its session proxies in worker processes,
 * and their CPU is the proxy's CPU. (A descendant that exited meanwhile is not counted.)
 */
export function cpuMs(pid: number): number | undefined {
  const root = ownCpuMs(pid);
  if (!root) return undefined;
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = ownCpuMs(Number(name));
    if (!info) continue;
    cpu.set(Number(name), info.cpu);
    const list = children.get(info.ppid) ?? [];
    list.push(Number(name));
    children.set(info.ppid, list);
  }
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const current = stack.pop()!;
    total += cpu.get(current) ?? (current === pid ? root.cpu : 0);
    stack.push(...(children.get(current) ?? []));
  }
  return total;
}

/** A bench's entry point: run `main`, report a crash under `name`, always stop every child, exit with its code. */
export async function runMain(name: string, main: () => Promise<number>): Promise<never> {
  let code = 1;
  try {
    code = await main();
  } catch (e) {
    process.stderr.write(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    code = 1;
  } finally {
    await cleanupAll();
  }
  process.exit(code);
}
