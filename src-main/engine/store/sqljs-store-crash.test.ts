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
/** The spec allows losing about a second; anything printed longer ago than this must have survived. */
const DURABLE_AFTER_MS = 1500;

let dir: string;

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'recorder-store-crash-'));
});

afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

interface KillResult {
  printed: { id: string; at: number }[];
  killedAt: number;
  sawSnapshotTemp: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the writer until it has printed a few hundred ids and at least ~2 s have passed, then SIGKILLs it: after a
 * random delay, or (duringSnapshot) the moment a snapshot temp file is seen, i.e. while a snapshot is being written.
 */
async function runAndKill(options: { snapshotBytes?: number; duringSnapshot?: boolean }): Promise<KillResult> {
  const args = ['--import', 'tsx', writerScript, dir];
  if (options.snapshotBytes) args.push(String(options.snapshotBytes));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const printed: { id: string; at: number }[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const at = Date.now();
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const id of lines) printed.push({ id, at });
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));

  const deadline = Date.now() + 20_000;
  while (!exitedEarly && Date.now() < deadline && (printed.length < 300 || Date.now() - (printed[0]?.at ?? Date.now()) < 2000)) {
    await sleep(10);
  }
  if (exitedEarly || Date.now() >= deadline) {
    child.kill('SIGKILL');
    throw new Error(`writer did not get going (printed ${printed.length}): ${stderr}`);
  }

  let sawSnapshotTemp = false;
  if (options.duringSnapshot) {
    const tmp = path.join(dir, 'recorder.db.tmp');
    const until = Date.now() + 5000;
    // A synchronous poll: an await between seeing the file and the kill would let the snapshot finish.
    while (Date.now() < until && !existsSync(tmp)) await new Promise((resolve) => setImmediate(resolve));
    sawSnapshotTemp = existsSync(tmp);
  } else {
    await sleep(Math.random() * 700);
  }
  const killedAt = Date.now();
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return { printed, killedAt, sawSnapshotTemp };
}

async function checkSurvivors({ printed, killedAt }: KillResult): Promise<void> {
  const warnings: string[] = [];
  const store = await SqlJsStore.open({ dataDir: dir, onWarning: (message) => warnings.push(message) });
  try {
    const mustHave = printed.filter((p) => p.at < killedAt - DURABLE_AFTER_MS).map((p) => p.id);
    expect(mustHave.length).toBeGreaterThan(100);
    const stored = store.listEntries('s1', 0, 1_000_000).entries.map((e) => e.id);
    const storedSet = new Set(stored);
    expect(mustHave.filter((id) => !storedSet.has(id))).toEqual([]);
    // Nothing invented, and capture order kept: the survivors are exactly a prefix of the insert sequence.
    expect(stored).toEqual(Array.from({ length: stored.length }, (_, i) => `e${i}`));
    expect(store.countEntries('s1')).toBe(stored.length);
    expect(store.getSession('s1')?.id).toBe('s1');
    for (const id of mustHave.filter((_, i) => i % 37 === 0)) {
      const n = Number(id.slice(1));
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
  it('keeps everything older than ~1 s when killed at a random moment, from the journal alone', async () => {
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
