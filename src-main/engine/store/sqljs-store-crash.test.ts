import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqlJsStore } from './sqljs-store.js';
import { bodyFor } from './test-support/fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const writerScript = path.join(here, 'test-support', 'crash-writer.ts');
/** Entries the writer must have seen saved before the kill: enough to check bodies, tags and order. */
const DURABLE_BEFORE_KILL = 150;

let dir: string;

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'recorder-store-crash-'));
});

afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

interface KillResult {
  printed: string[];
  /** Insert number of the last entry the writer's store reported saved. */
  durable: number;
  sawSnapshotTemp: boolean;
}

/**
 * Runs the writer until its store has reported DURABLE_BEFORE_KILL entries saved (however long a loaded machine
 * takes), then SIGKILLs it: after a short random delay, or (duringSnapshot) the moment a snapshot temp file is
 * seen, i.e. while a snapshot is being written. Durability comes from the store's own report, not from a clock.
 */
async function runAndKill(options: { snapshotBytes?: number; duringSnapshot?: boolean }): Promise<KillResult> {
  const args = ['--import', 'tsx', writerScript, dir];
  if (options.snapshotBytes) args.push(String(options.snapshotBytes));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const printed: string[] = [];
  let durable = -1;
  let partial = '';
  let stderr = '';
  let onProgress = (): void => undefined;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('D ')) durable = Number(line.slice(3));
      else printed.push(line);
    }
    onProgress();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  const going = new Promise<void>((resolve, reject) => {
    onProgress = () => {
      if (durable >= DURABLE_BEFORE_KILL) resolve();
    };
    void exited.then((how) => reject(new Error(`writer exited (${String(how)}) after ${printed.length} ids: ${stderr}`)));
  });
  await going;

  let sawSnapshotTemp = false;
  if (options.duringSnapshot) {
    const tmp = path.join(dir, 'recorder.db.tmp');
    // A synchronous check per turn: an await between seeing the file and the kill would let the snapshot finish.
    while (!existsSync(tmp)) await new Promise((resolve) => setImmediate(resolve));
    sawSnapshotTemp = true;
  } else {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 700));
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return { printed, durable, sawSnapshotTemp };
}

async function checkSurvivors({ durable }: KillResult): Promise<void> {
  const warnings: string[] = [];
  const store = await SqlJsStore.open({ dataDir: dir, onWarning: (message) => warnings.push(message) });
  try {
    const mustHave = Array.from({ length: durable + 1 }, (_, i) => `e${i}`);
    expect(mustHave.length).toBeGreaterThan(DURABLE_BEFORE_KILL);
    const stored = store.listEntries('s1', 0, 1_000_000).entries;
    const storedSet = new Set(stored.map((e) => e.id));
    expect(mustHave.filter((id) => !storedSet.has(id))).toEqual([]);
    // Nothing invented, and capture order kept: the survivors are exactly a prefix of the insert sequence.
    expect(stored.map((e) => e.id)).toEqual(Array.from({ length: stored.length }, (_, i) => `e${i}`));
    expect(store.countEntries('s1')).toBe(stored.length);
    expect(store.getSession('s1')?.id).toBe('s1');
    // A line is journaled only after its body file is written: no survivor, however new, lost a body.
    expect(stored.filter((e) => e.bodyLost).map((e) => e.id)).toEqual([]);
    for (const { id } of stored) {
      const n = Number(id.slice(1));
      if (n % 37 !== 0 && n % 7 !== 0) continue;
      expect(store.readBody('s1', id, 'request')?.equals(bodyFor(id, 'request', 200))).toBe(true);
      const response = bodyFor(id, 'response', n % 7 === 0 ? 40_000 : 12_000);
      expect(store.readBody('s1', id, 'response')?.equals(response)).toBe(true);
    }
    expect(store.getEntry('s1', 'e0')?.tags).toEqual(['checked']);
    // Only a torn last line is an expected casualty of kill -9.
    expect(warnings.filter((w) => !w.includes('torn last line') && !w.includes('left behind'))).toEqual([]);
  } finally {
    await store.close();
  }
}

describe('SqlJsStore under kill -9', () => {
  it('keeps everything the store reported saved when killed at a random moment, from the journal alone', async () => {
    // The writer makes ~15 MB of journal a second: without a huge threshold snapshots would do the saving.
    await checkSurvivors(await runAndKill({ snapshotBytes: 2 ** 40 }));
  });

  it('keeps everything when killed at a random moment with frequent snapshots', async () => {
    await checkSurvivors(await runAndKill({ snapshotBytes: 200_000 }));
  });

  it('keeps everything when killed while a snapshot is being written', async () => {
    const result = await runAndKill({ snapshotBytes: 1_000_000, duringSnapshot: true });
    expect(result.sawSnapshotTemp).toBe(true);
    await checkSurvivors(result);
  });
});
