/**
 * A session log on a real small tmpfs that fills up, then turns read-only: appends keep returning, the failure is
 * reported once, flush() rejects, nothing already written is damaged, and once space (or write access) returns the
 * queued records are written, each exactly once.
 */
import { fillDisk, mountTmpfs, tryRun } from '../../../test-support/tmpfs.js';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSessionLog, segmentFileName } from './segment-log.js';
import { RecordType, type RecordLocation, type SessionLog } from './segment-types.js';
import { collect, payloadFor, payloadIndex, waitFor } from './test-support/segment-fixtures.js';

const mounted = mountTmpfs('1m', 'tr-segment-full-');
if ('problem' in mounted) console.warn(`session log full-disk tests skipped: ${mounted.problem}`);
const mountDir = 'dir' in mounted ? mounted.dir : '';
const dir = path.join(mountDir, 'session');
const filler = path.join(mountDir, 'filler');
const SIZE = 10_000;

let log: SessionLog;
const states: (Error | undefined)[] = [];
const warnings: string[] = [];
const locs: RecordLocation[] = [];

function fillUp(): void {
  fillDisk(filler, [64 * 1024, 4096, 512]);
}

function appendSome(count: number): void {
  for (let i = 0; i < count; i++) locs.push(log.append(RecordType.Body, payloadFor(locs.length, SIZE)));
}

/** The bytes of every segment file, as written so far. */
function snapshotFiles(): Map<string, Buffer> {
  return new Map(fs.readdirSync(dir).map((name) => [name, fs.readFileSync(path.join(dir, name))]));
}

function expectUnchanged(before: Map<string, Buffer>): void {
  for (const [name, bytes] of before) expect(fs.readFileSync(path.join(dir, name)).subarray(0, bytes.length).equals(bytes)).toBe(true);
}

async function expectAllReadBack(): Promise<void> {
  for (const [i, loc] of locs.entries()) expect(payloadIndex((await log.read(loc)).payload)).toBe(i);
  const scanned = await collect(log.scan());
  expect(scanned.map((r) => payloadIndex(r.payload))).toEqual(locs.map((_, i) => i));
  for (const info of log.segments()) expect(fs.statSync(path.join(dir, segmentFileName(info.segment))).size).toBe(info.bytes);
}

describe.skipIf('problem' in mounted)('session log on a full or read-only disk', () => {
  beforeAll(async () => {
    log = await openSessionLog({
      dir,
      flushMs: 20,
      segmentBytes: 64 * 1024,
      onWarning: (m) => warnings.push(m),
      onWriteState: (error) => states.push(error),
    });
  });

  afterAll(async () => {
    fs.rmSync(filler, { force: true });
    tryRun('mount', ['-o', 'remount,rw', mountDir]);
    await log?.close();
    execFileSync('umount', [mountDir]);
    fs.rmdirSync(mountDir);
  });

  it('keeps appending on a full disk, reports it once, and writes everything once space returns', async () => {
    appendSome(20);
    await log.flush();
    const before = snapshotFiles();

    fillUp();
    // Room for part of the next write: it is written short, fails, and must be cut back.
    fs.truncateSync(filler, fs.statSync(filler).size - 24 * 1024);
    const durable = log.durableEnd();
    appendSome(30); // crosses into new segments too
    const failed = await waitFor('the write failure', () => states[0]);
    expect(failed.message).toMatch(/ENOSPC|no space/i);
    const active = path.join(dir, segmentFileName(durable.segment));
    await waitFor('the short write cut back', () => fs.statSync(active).size === durable.offset);
    await expect(log.flush()).rejects.toMatchObject({ code: 'ENOSPC' });
    appendSome(5);
    await expect(log.flush()).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(states).toHaveLength(1);
    expect(log.pendingBytes).toBeGreaterThanOrEqual(35 * SIZE);
    // Queued records are served from memory; what was written is untouched.
    expect(payloadIndex((await log.read(locs[54]!)).payload)).toBe(54);
    expectUnchanged(before);

    fs.rmSync(filler);
    await waitFor('writes to succeed again', () => states.length === 2);
    expect(states[1]).toBeUndefined();
    await log.flush();
    expect(log.pendingBytes).toBe(0);
    await expectAllReadBack();
    expectUnchanged(before);
  });

  it('keeps appending on a read-only disk and writes everything once it is writable again', async () => {
    const before = snapshotFiles();
    // Busy while a flush cycle holds a file open for writing: try again until it does not.
    await waitFor('a read-only remount', () => tryRun('mount', ['-o', 'remount,ro', mountDir]));
    try {
      appendSome(10);
      const failed = await waitFor('the write failure', () => states[2]);
      expect(failed.message).toMatch(/EROFS|read-only/i);
      await expect(log.flush()).rejects.toMatchObject({ code: 'EROFS' });
      expect(states).toHaveLength(3);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mountDir]);
    }
    await waitFor('writes to succeed again', () => states.length === 4);
    await log.flush();
    await expectAllReadBack();
    expectUnchanged(before);

    await log.close();
    log = await openSessionLog({ dir, onWarning: (m) => warnings.push(m) });
    expect((await collect(log.scan())).map((r) => payloadIndex(r.payload))).toEqual(locs.map((_, i) => i));
    expect(warnings).toEqual([]);
  });
});
