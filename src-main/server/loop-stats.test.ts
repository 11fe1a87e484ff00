import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLoopStats, startLoopStatsFromEnv, type LoopStats, type LoopStatsSample } from './loop-stats.js';

const dirs: string[] = [];
const running: LoopStats[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'loop-stats-'));
  dirs.push(dir);
  return join(dir, 'loop.json');
}

function read(file: string): LoopStatsSample | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LoopStatsSample;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e; // a half-written file would land here: the write is atomic, so it must not
  }
}

/** Polls faster than the 50 ms windows are rewritten, so no window goes unseen. */
async function waitForSample(file: string, accept: (s: LoopStatsSample) => boolean): Promise<LoopStatsSample> {
  for (;;) {
    const s = read(file);
    if (s && accept(s)) return s;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function blockLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* a real stall of this process's event loop */
  }
}

describe('loop stats', () => {
  it('shows a blocked event loop in the max of its window, and keeps it in maxAll after the window is reset', async () => {
    const file = tempFile();
    running.push(startLoopStats(file, 50));
    const first = await waitForSample(file, () => true);
    blockLoop(300);
    const stalled = await waitForSample(file, (s) => s.max >= 250);
    expect(stalled.seq).toBeGreaterThan(first.seq);
    expect(stalled.maxAll).toBeGreaterThanOrEqual(stalled.max);
    expect(stalled.rss).toBeGreaterThan(0);
    expect(stalled.heapUsed).toBeGreaterThan(0);
    // The stall was busy time of the loop, and CPU time of the process.
    expect(stalled.busy).toBeGreaterThan(0.5);
    expect(stalled.cpuMs).toBeGreaterThan(100);
    expect(stalled.gc).toMatchObject({ count: expect.any(Number), totalMs: expect.any(Number), maxMs: expect.any(Number) });
    // A later window without the stall: the histogram was reset, the overall max was not.
    const later = await waitForSample(file, (s) => s.seq > stalled.seq && s.max < stalled.max);
    expect(later.maxAll).toBeGreaterThanOrEqual(stalled.max);
    expect(later.count).toBeGreaterThan(0);
  });

  it('reports the garbage collection pauses of its window', async () => {
    const file = tempFile();
    running.push(startLoopStats(file, 50));
    await waitForSample(file, () => true);
    const keep: unknown[] = [];
    for (let i = 0; i < 200_000; i++) keep.push({ i, s: `x${i}` });
    keep.length = 0;
    const collected = await waitForSample(file, (s) => s.gc.count > 0);
    expect(collected.gc.totalMs).toBeGreaterThan(0);
    expect(collected.gc.maxMs).toBeLessThanOrEqual(collected.gc.totalMs);
    expect(collected.gc.maxKind).toMatch(/scavenge|mark|incremental|weak|other/);
  });

  it('stops writing once stopped', async () => {
    const file = tempFile();
    const stats = startLoopStats(file, 20);
    await waitForSample(file, (s) => s.seq >= 2);
    await stats.stop();
    const last = read(file)!;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(read(file)!.seq).toBe(last.seq);
  });

  it('samples only when TRAFFIC_RECORDER_LOOP_STATS names a file', async () => {
    expect(startLoopStatsFromEnv({})).toBeUndefined();
    const file = tempFile();
    const stats = startLoopStatsFromEnv({ TRAFFIC_RECORDER_LOOP_STATS: file });
    expect(stats).toBeDefined();
    running.push(stats!);
    const s = await waitForSample(file, () => true);
    expect(s.seq).toBe(1);
  });
});
