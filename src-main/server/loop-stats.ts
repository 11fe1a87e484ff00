/**
 * Event-loop delay and memory of this process, written to a file for the store benchmark (bench/store-bench.ts):
 * set TRAFFIC_RECORDER_LOOP_STATS to a path and the server rewrites it every 500 ms. Each sample covers the window
 * since the previous one (the histogram is reset after each write); `maxAllMs` keeps the worst window seen.
 */
import { promises as fsp } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver, performance, type EventLoopUtilization } from 'node:perf_hooks';

export const LOOP_STATS_ENV = 'TRAFFIC_RECORDER_LOOP_STATS';

export interface LoopStatsSample {
  /** Increases by one per sample, so a reader can tell a new window from one it has seen. */
  seq: number;
  at: string;
  /** Delay percentiles and maximum of this window, in ms. */
  p50: number;
  p99: number;
  max: number;
  /** Delay measurements in this window (one per `resolution` ms the loop was free to take them). */
  count: number;
  /** The largest `max` of all windows since sampling began. */
  maxAll: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /**
   * Garbage collection pauses of this thread in the window (what a delay can be blamed on): how many, their total
   * and the longest (ms), and the kind of the longest (`scavenge`, `mark-compact`, `incremental`, `weak`).
   */
  gc: { count: number; totalMs: number; maxMs: number; maxKind: string };
  /** Share of the window the loop was busy (0..1): a long delay with a low share was time off the CPU. */
  busy: number;
  /** CPU time of the whole process (every thread) in the window, ms. */
  cpuMs: number;
}

const GC_KINDS: Record<number, string> = { 1: 'scavenge', 2: 'minor-mark-sweep', 4: 'mark-compact', 8: 'incremental', 16: 'weak' };

export interface LoopStats {
  stop(): Promise<void>;
}

const NS_PER_MS = 1e6;

/** Starts sampling into `file` (tmp + rename, so a reader never sees half a sample). The timer does not keep the process alive. */
export function startLoopStats(file: string, intervalMs = 500): LoopStats {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let seq = 0;
  let maxAll = 0;
  let writing: Promise<void> = Promise.resolve();
  let busy = false;
  const tmp = `${file}.${process.pid}.tmp`;
  let gc = { count: 0, totalMs: 0, maxMs: 0, maxKind: '' };
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.totalMs += entry.duration;
      if (entry.duration > gc.maxMs) {
        gc.maxMs = entry.duration;
        gc.maxKind = GC_KINDS[((entry as unknown as { detail?: { kind?: number } }).detail?.kind) ?? 0] ?? "other";
      }
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  let elu: EventLoopUtilization = performance.eventLoopUtilization();
  let cpu = process.cpuUsage();

  // How late this sampler's own timer fired: a stall longer than the window makes the overdue tick run first after
  // it, and the reset() below then loses the histogram's record of it (seen with Node 20.20 and 50 ms windows).
  let lastTick = performance.now();
  let lateMs = 0;
  const sample = (late: number): LoopStatsSample => {
    // With no measurement in the window the histogram's max is 0 and its percentiles 0: nothing was measured.
    const max = Math.max(histogram.count > 0 ? histogram.max / NS_PER_MS : 0, late);
    maxAll = Math.max(maxAll, max);
    const mem = process.memoryUsage();
    const s: LoopStatsSample = {
      seq: ++seq,
      at: new Date().toISOString(),
      p50: histogram.count > 0 ? histogram.percentile(50) / NS_PER_MS : 0,
      p99: histogram.count > 0 ? histogram.percentile(99) / NS_PER_MS : 0,
      max,
      count: histogram.count,
      maxAll,
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      gc,
      busy: performance.eventLoopUtilization(elu).utilization,
      cpuMs: ((c) => (c.user + c.system) / 1000)(process.cpuUsage(cpu)),
    };
    histogram.reset();
    gc = { count: 0, totalMs: 0, maxMs: 0, maxKind: '' };
    elu = performance.eventLoopUtilization();
    cpu = process.cpuUsage();
    return s;
  };

  const tick = (): void => {
    // A slow disk must not pile up writes: the window simply grows until the previous write is done.
    const now = performance.now();
    lateMs = Math.max(lateMs, now - lastTick - intervalMs);
    lastTick = now;
    if (busy) return;
    busy = true;
    const text = `${JSON.stringify(sample(lateMs))}\n`;
    lateMs = 0;
    writing = fsp
      .writeFile(tmp, text)
      .then(() => fsp.rename(tmp, file))
      .catch((e: unknown) => console.warn(`loop stats: cannot write ${file}: ${(e as Error).message}`))
      .finally(() => {
        busy = false;
      });
  };

  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      histogram.disable();
      gcObserver.disconnect();
      await writing;
    },
  };
}

/** Sampling as TRAFFIC_RECORDER_LOOP_STATS asks, or nothing when it is unset. */
export function startLoopStatsFromEnv(env: NodeJS.ProcessEnv = process.env): LoopStats | undefined {
  const file = env[LOOP_STATS_ENV];
  return file ? startLoopStats(file) : undefined;
}
