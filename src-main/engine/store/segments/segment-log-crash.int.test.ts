/**
 * A session log after a crash: a writer killed with SIGKILL mid-stream, a hand-made torn tail, and flipped bytes in
 * the last and in an older segment. What was fsync'd survives, the cut is at a record boundary, appends continue;
 * a damaged record whose framing holds is skipped and the good records after it are kept.
 */
import { spawn } from 'node:child_process';
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSessionLog, segmentFileName } from './segment-log.js';
import { RecordType, type RecordLocation, type SessionLog } from './segment-types.js';
import { collect, payloadFor, payloadIndex, tempDir } from './test-support/segment-fixtures.js';
import { writerSize } from './test-support/segment-writer.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const writerScript = path.join(here, 'test-support', 'segment-writer.ts');
/** Records the writer must have seen durable before the kill. */
const DURABLE_BEFORE_KILL = 300;

let root: string;
let dir: string;
const warnings: string[] = [];
const logs: SessionLog[] = [];

async function open(segmentBytes?: number): Promise<SessionLog> {
  const log = await openSessionLog({ dir, flushMs: 1000, onWarning: (m) => warnings.push(m), ...(segmentBytes ? { segmentBytes } : {}) });
  logs.push(log);
  return log;
}

async function writeRecords(count: number, segmentBytes?: number): Promise<RecordLocation[]> {
  const log = await open(segmentBytes);
  const locs = Array.from({ length: count }, (_, i) => log.append(RecordType.Entry, payloadFor(i)));
  await log.close();
  return locs;
}

function flipByte(segment: number, offset: number): void {
  const fd = fs.openSync(path.join(dir, segmentFileName(segment)), 'r+');
  const byte = Buffer.alloc(1);
  fs.readSync(fd, byte, 0, 1, offset);
  byte[0] = byte[0]! ^ 0x40;
  fs.writeSync(fd, byte, 0, 1, offset);
  fs.closeSync(fd);
}

const indicesOf = async (log: SessionLog): Promise<number[]> => (await collect(log.scan())).map((r) => payloadIndex(r.payload));
const fileSize = (segment: number): number => fs.statSync(path.join(dir, segmentFileName(segment))).size;

beforeEach(async () => {
  root = await tempDir('tr-segment-crash-');
  dir = path.join(root, 'session');
  warnings.length = 0;
});

afterEach(async () => {
  await Promise.all(logs.splice(0).map((log) => log.close()));
  await fsp.rm(root, { recursive: true, force: true });
});

/** Runs the writer until DURABLE_BEFORE_KILL records are durable, then SIGKILLs it; returns the last durable one. */
async function runAndKill(): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', writerScript, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let durable = -1;
  let stderr = '';
  let partial = '';
  const exited = new Promise<unknown>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('D ')) durable = Number(line.slice(2));
      if (durable >= DURABLE_BEFORE_KILL) resolve();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then((how) => reject(new Error(`writer exited (${String(how)}) before the kill:\n${stderr}`)));
  });
  // Somewhere inside the next flush cycles, not at a chosen boundary.
  await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 40)));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return durable;
}

describe('session log after a crash', () => {
  it('keeps every record before the cut after a kill -9, cuts at a record boundary, and appends on', async () => {
    const durable = await runAndKill();
    const log = await open();
    const records = await collect(log.scan());
    const indices = records.map((r) => payloadIndex(r.payload));
    // Every record up to the cut, in order, none missing, and at least all that were reported durable.
    expect(indices).toEqual(indices.map((_, i) => i));
    expect(indices.length).toBeGreaterThan(durable);
    for (const [i, record] of records.entries()) expect(record.payload.equals(payloadFor(i, writerSize(i)))).toBe(true);
    // The cut is at a record boundary: the last segment ends where its last record does.
    const last = records[records.length - 1]!.loc;
    expect(fileSize(last.segment)).toBe(last.offset + last.length);
    // A kill right after a new segment file was created leaves it empty: the log goes on there.
    if (log.activeSegment === last.segment) expect(log.end()).toEqual({ segment: last.segment, offset: last.offset + last.length });
    else expect([log.end(), fileSize(log.activeSegment)]).toEqual([{ segment: last.segment + 1, offset: 0 }, 0]);
    expect(warnings.every((w) => /cut \d+ bytes/.test(w))).toBe(true);

    const next = log.append(RecordType.Entry, payloadFor(records.length));
    await log.close();
    const again = await open();
    expect(payloadIndex((await again.read(next)).payload)).toBe(records.length);
    expect((await collect(again.scan())).length).toBe(records.length + 1);
  });

  it('cuts a torn record at the end of the last segment, with a warning', async () => {
    const locs = await writeRecords(20);
    const last = locs[19]!;
    fs.truncateSync(path.join(dir, segmentFileName(0)), last.offset + 15);
    const log = await open();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`cut 15 bytes .* at offset ${last.offset}`));
    expect(fileSize(0)).toBe(last.offset);
    expect(log.end()).toEqual({ segment: 0, offset: last.offset });
    expect((await collect(log.scan())).map((r) => payloadIndex(r.payload))).toEqual(locs.slice(0, 19).map((_, i) => i));
    expect(log.append(RecordType.Entry, payloadFor(19))).toEqual(last);
    await log.flush();
    expect(payloadIndex((await log.read(last)).payload)).toBe(19);
  });

  it('keeps a record with a flipped payload byte in the middle of the last segment, and every record after it', async () => {
    const locs = await writeRecords(20);
    const bad = locs[10]!;
    const sizeBefore = fileSize(0);
    flipByte(0, bad.offset + 20);
    const log = await open();
    expect(fileSize(0)).toBe(sizeBefore);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`0000000000\\.seg has a damaged record at offset ${bad.offset} \\(checksum mismatch`));
    const others = locs.map((_, i) => i).filter((i) => i !== 10);
    expect(await indicesOf(log)).toEqual(others);
    expect(warnings).toHaveLength(2); // the scan names it too
    expect(warnings[1]).toMatch(new RegExp(`damaged record at offset ${bad.offset} `));
    for (const i of others) expect(payloadIndex((await log.read(locs[i]!)).payload)).toBe(i);
    await expect(log.read(bad)).rejects.toMatchObject({ code: 'RECORD_CORRUPT' });
    // Appends go on after the last record, and the next open keeps everything again.
    const next = log.append(RecordType.Entry, payloadFor(20));
    expect(next.offset).toBe(sizeBefore);
    await log.close();
    const again = await open();
    expect(await indicesOf(again)).toEqual([...others, 20]);
  });

  it('keeps a record of an unknown type, and a damaged last record that ends the file exactly', async () => {
    const locs = await writeRecords(12);
    flipByte(0, locs[4]!.offset + 8);
    flipByte(0, locs[11]!.offset + 30);
    const log = await open();
    expect(warnings.map((w) => /damaged record at offset (\d+) \(([^,]+)/.exec(w)?.slice(1))).toEqual([
      [String(locs[4]!.offset), 'unknown record type 66'],
      [String(locs[11]!.offset), 'checksum mismatch'],
    ]);
    expect(await indicesOf(log)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9, 10]);
    expect(log.end()).toEqual({ segment: 0, offset: locs[11]!.offset + locs[11]!.length });
  });

  it('cuts the last segment at a flipped byte in a length field in its middle (the framing is lost)', async () => {
    for (const byte of [0, 3]) {
      warnings.length = 0;
      await fsp.rm(dir, { recursive: true, force: true });
      const locs = await writeRecords(20);
      flipByte(0, locs[10]!.offset + byte);
      const log = await open();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(new RegExp(`cut \\d+ bytes .* at offset ${locs[10]!.offset}`));
      expect(fileSize(0)).toBe(locs[10]!.offset);
      expect(await indicesOf(log)).toEqual(locs.slice(0, 10).map((_, i) => i));
      await log.close();
    }
  });

  it('cuts at the first of two damaged records in a row: the record after the first one is not good', async () => {
    const locs = await writeRecords(20);
    flipByte(0, locs[10]!.offset + 20);
    flipByte(0, locs[11]!.offset + 20);
    const log = await open();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`at offset ${locs[10]!.offset} \\(checksum mismatch\\)`));
    expect(fileSize(0)).toBe(locs[10]!.offset);
    expect(await indicesOf(log)).toEqual(locs.slice(0, 10).map((_, i) => i));
  });

  it('checks the record after a damaged one that reaches past the read chunk (records of MiBs)', async () => {
    const sizes = [200, 3 * 1024 * 1024, 2 * 1024 * 1024, 300];
    const log0 = await open();
    const locs = sizes.map((size, i) => log0.append(RecordType.Body, payloadFor(i, size)));
    await log0.close();
    flipByte(0, locs[1]!.offset + 1000);
    const log = await open();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`damaged record at offset ${locs[1]!.offset} `));
    expect(fileSize(0)).toBe(locs[3]!.offset + locs[3]!.length);
    const records = await collect(log.scan());
    expect(records.map((r) => payloadIndex(r.payload))).toEqual([0, 2, 3]);
    expect(records[1]!.payload.equals(payloadFor(2, sizes[2]))).toBe(true);
  });

  it('skips a damaged record of an older segment, with a warning, and reads the records after it', async () => {
    const locs = await writeRecords(40, 2000);
    const inOne = locs.filter((l) => l.segment === 1);
    expect(inOne.length).toBeGreaterThan(3);
    const bad = inOne[1]!;
    flipByte(1, bad.offset + 12);
    const log = await open(2000);
    expect(warnings).toEqual([]); // older segments are trusted for length on open
    const sizeBefore = fileSize(1);
    const badIndex = locs.indexOf(bad);
    expect(await indicesOf(log)).toEqual(locs.map((_, i) => i).filter((i) => i !== badIndex));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`0000000001\\.seg has a damaged record at offset ${bad.offset} `));
    await expect(log.read(bad)).rejects.toMatchObject({ code: 'RECORD_CORRUPT' });
    expect(payloadIndex((await log.read(inOne[2]!)).payload)).toBe(badIndex + 1);
    expect(fileSize(1)).toBe(sizeBefore);
  });

  it('ends the scan of an older segment where its framing is lost, with a warning, and still reads the next one', async () => {
    const locs = await writeRecords(40, 2000);
    const inOne = locs.filter((l) => l.segment === 1);
    const bad = inOne[1]!;
    flipByte(1, bad.offset + 1);
    const log = await open(2000);
    const skipped = new Set(inOne.slice(1).map((l) => locs.indexOf(l)));
    expect(await indicesOf(log)).toEqual(locs.map((_, i) => i).filter((i) => !skipped.has(i)));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`0000000001\\.seg has a bad record at offset ${bad.offset} .*the rest of that segment is skipped`));
  });
});
