/** Shared helpers for the session log's tests and its writer child process. */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type LogRecord, type SessionLog } from '../segment-types.js';

/** A payload that says which record it is and whose bytes can be checked: `#<i>:` then a byte pattern. */
export function payloadFor(i: number, size = 100 + (i % 37) * 13): Buffer {
  const head = Buffer.from(`#${i}:`);
  const buf = Buffer.allocUnsafe(Math.max(size, head.length));
  head.copy(buf);
  for (let j = head.length; j < buf.length; j++) buf[j] = (i * 31 + j) & 0xff;
  return buf;
}

/** The record number a payloadFor() payload carries, or -1 when it is not one. */
export function payloadIndex(payload: Buffer): number {
  const match = /^#(\d+):/.exec(payload.subarray(0, 16).toString('latin1'));
  return match ? Number(match[1]) : -1;
}

export async function collect(iterable: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const record of iterable) out.push(record);
  return out;
}

export async function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

export function isBefore(a: { segment: number; offset: number }, b: { segment: number; offset: number }): boolean {
  return a.segment < b.segment || (a.segment === b.segment && a.offset <= b.offset);
}

/** Resolves once `probe` is truthy, polling; the test's own timeout bounds it. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, tries = 2000): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until the record at `loc` is on disk and fsync'd, through the log's own flush cycle. */
export function waitDurable(log: SessionLog, loc: { segment: number; offset: number; length: number }): Promise<true> {
  return waitFor('durableEnd to pass the record', () => isBefore({ segment: loc.segment, offset: loc.offset + loc.length }, log.durableEnd()));
}
