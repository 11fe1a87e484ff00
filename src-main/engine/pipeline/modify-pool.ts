/**
 * Body replacements off the event loop. Rules applied to a whole body of up to 8 MiB take from a quarter of a second
 * (a plain string) to several seconds (a regex such as `(a+)+$`, linear in RE2 but slow), and on the thread that
 * serves every connection of every session that time is a stall of all of them. A body past INLINE_LIMIT (its
 * length times the number of rules) is replaced in a small pool of worker threads instead; one not done within its
 * budget (counted from when it was handed over, so a long queue counts too) passes through unchanged, and the entry
 * says which rule ran out of time. A worker past its budget is stuck inside one rule: it is terminated, and a fresh
 * one is started for the next body.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BodyReplacement } from '../../../src-shared/modifications.js';

/**
 * A body whose length times the number of rules is at most this is replaced in place: the worst rules cost ~20 ms
 * there ((a+)+$ takes ~1.4 µs a character), about what handing it to a worker and back costs on a busy machine.
 */
export const INLINE_LIMIT = 16 * 1024;
/** How long a body's replacements may take before it passes through unchanged. */
export const DEFAULT_REPLACE_BUDGET_MS = 5000;

export interface ReplaceRequest {
  id: number;
  rules: readonly BodyReplacement[];
  body: Uint8Array;
}

export type ReplaceReply = { id: number; kind: 'rule'; index: number } | { id: number; kind: 'done'; applied: number[]; body?: Uint8Array };

export type ReplaceResult =
  | { kind: 'done'; applied: number[]; body?: Buffer }
  /** `rule`: the one running when time ran out (absent: the body was still waiting for a worker). */
  | { kind: 'timeout'; rule?: number }
  /** Nobody wants the body any more (its client left): its worker was freed. */
  | { kind: 'cancelled' };

interface Job extends ReplaceRequest {
  resolve(result: ReplaceResult): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  rule?: number;
}

interface Slot {
  worker?: Worker;
  job?: Job;
}

const here = fileURLToPath(import.meta.url);
const fromSource = here.endsWith('.ts');
const WORKER_SCRIPT = path.join(path.dirname(here), `modify-worker.${fromSource ? 'ts' : 'js'}`);

/** tsx's ESM entry: from source (tests) a worker needs the TypeScript loader, and worker_threads take no `--import`. */
function tsxEsmApi(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return path.join(path.dirname(manifest), pkg.exports['./esm/api']!.import.default);
}

// A runaway replacement (a short match, a long replacement, a big body) fails its worker, not the proxy's process.
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 512 };

function startWorker(): Worker {
  if (!fromSource) return new Worker(WORKER_SCRIPT, { resourceLimits: RESOURCE_LIMITS });
  const boot = `import(${JSON.stringify(pathToFileURL(tsxEsmApi()).href)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(WORKER_SCRIPT).href)}); })`;
  return new Worker(boot, { eval: true, resourceLimits: RESOURCE_LIMITS });
}

export class ReplacePool {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private nextId = 1;

  constructor(size: number) {
    this.slots = Array.from({ length: Math.max(1, size) }, () => ({}));
  }

  /**
   * The rules on `body` (UTF-8 text) in a worker; `body` is copied over and stays the caller's. `signal`: the body
   * is no longer wanted (its client left), and a job nobody will read must not keep a worker, nor a place in the
   * queue, for the rest of its budget while other bodies wait.
   */
  run(rules: readonly BodyReplacement[], body: Buffer, budgetMs: number, signal?: AbortSignal): Promise<ReplaceResult> {
    if (signal?.aborted) return Promise.resolve({ kind: 'cancelled' });
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, rules, body, resolve, reject, timer: setTimeout(() => this.expire(job), budgetMs) };
      signal?.addEventListener('abort', () => this.drop(job, { kind: 'cancelled' }), { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  /** Workers running or idle (for tests: a timed-out worker is replaced, never leaked). */
  workers(): number {
    return this.slots.filter((s) => s.worker).length;
  }

  /** Stops the workers (bodies under way reject); tests only, the process's pool lives as long as it. */
  async close(): Promise<void> {
    await Promise.all(this.slots.flatMap((slot) => (slot.worker ? [slot.worker.terminate()] : [])));
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.job = job;
      this.workerOf(slot).postMessage({ id: job.id, rules: job.rules, body: job.body } satisfies ReplaceRequest);
    }
  }

  private workerOf(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const worker = startWorker();
    // Idle workers must not keep a process alive that has nothing else to do.
    worker.unref();
    worker.on('message', (reply: ReplaceReply) => this.answered(slot, reply));
    worker.on('error', (error) => this.failed(slot, worker, error));
    worker.on('exit', (code) => this.failed(slot, worker, new Error(`the body replacement worker exited (code ${code})`)));
    slot.worker = worker;
    return worker;
  }

  private answered(slot: Slot, reply: ReplaceReply): void {
    const job = slot.job;
    if (!job || job.id !== reply.id) return;
    if (reply.kind === 'rule') {
      job.rule = reply.index;
      return;
    }
    this.settle(slot, job);
    const { body } = reply;
    job.resolve(body ? { kind: 'done', applied: reply.applied, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) } : { kind: 'done', applied: reply.applied });
  }

  private failed(slot: Slot, worker: Worker, error: Error): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    const job = slot.job;
    if (job) {
      this.settle(slot, job);
      job.reject(new Error(`body replacements failed: ${error.message}`));
    }
  }

  private expire(job: Job): void {
    this.drop(job, job.rule === undefined || this.queue.includes(job) ? { kind: 'timeout' } : { kind: 'timeout', rule: job.rule });
  }

  /** Ends a job that is not done (out of time, or cancelled): out of the queue, or its worker stopped and replaced. */
  private drop(job: Job, result: ReplaceResult): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      clearTimeout(job.timer);
      job.resolve(result);
      return;
    }
    const slot = this.slots.find((s) => s.job === job);
    if (!slot) return;
    // Stuck inside one rule, or working for nobody: only terminating the worker stops it.
    const worker = slot.worker;
    slot.worker = undefined;
    void worker?.terminate();
    this.settle(slot, job);
    job.resolve(result);
  }

  /** The job is over: its slot takes the next one. */
  private settle(slot: Slot, job: Job): void {
    clearTimeout(job.timer);
    slot.job = undefined;
    setImmediate(() => this.pump());
  }
}

let shared: ReplacePool | undefined;

/** One pool per process (the engine's, or a proxy worker's), started on the first big body. */
export function replacePool(): ReplacePool {
  // Two, so that one pathological body does not hold up the next; more would only compete for the proxy's cores.
  shared ??= new ReplacePool(Math.min(2, Math.max(1, os.availableParallelism())));
  return shared;
}
