/**
 * Decoding a segment file's bytes into records (segment-log.ts): the good records of a chunk, the damaged ones
 * whose framing holds (skipped with a warning, the records after them kept), and where and why the rest of a
 * segment cannot be trusted (a torn tail is cut there when the log is opened).
 */
import fs from 'node:fs';
import { errorMessage } from '../fs-util.js';
import { decodeRecordAt, HEADER_BYTES, recordLengthAt } from './record-codec.js';
import { segmentFileName, type Segment } from './segment-file.js';
import { readFully, type ReadHandles } from './segment-io.js';
import type { LogRecord } from './segment-types.js';

/** Scans and open() read this much at a time; a bigger record is read whole. */
export const CHUNK_BYTES = 4 * 1024 * 1024;

/** A record that failed its check but whose framing holds: the record after it is good (or it ends the file). */
export interface DamagedRecord {
  offset: number;
  length: number;
  detail: string;
}

export interface Batch {
  records: LogRecord[];
  /** Skipped, in offset order; `records` holds every good record around them. */
  damaged: DamagedRecord[];
  next: number;
  /** Why nothing from `next` on can be trusted. */
  bad?: string;
  /** Bytes from `next` that must be read at once to get on (a big record, or a damaged one and the one after it). */
  need?: number;
}

export function damagedMessage(segment: number, d: DamagedRecord): string {
  return `${segmentFileName(segment)} has a damaged record at offset ${d.offset} (${d.detail}, ${d.length} bytes); it is skipped, the records after it are kept`;
}

/** The good records of one chunk of the file from `pos`; `bad` says why the segment cannot be read further. */
export async function readBatch(seg: Segment, pos: number, readers: ReadHandles): Promise<Batch> {
  const limit = seg.written;
  let want = Math.min(CHUNK_BYTES, limit - pos);
  for (;;) {
    const buf = Buffer.allocUnsafe(want);
    const got = await readers.use(seg.number, seg.file, (h) => readFully(h, buf, pos));
    if (got < want) return { records: [], damaged: [], next: pos, bad: 'the file is shorter than expected' };
    const batch = decodeBatch(seg.number, buf, pos, limit);
    if (needsMore(batch, pos, want)) want = batch.need!;
    else if (batch.next === pos && batch.bad === undefined) return { ...batch, bad: 'a record cannot be read whole' };
    else return batch;
  }
}

/** A chunk that held nothing whole, while more of the segment would: read again with `need` bytes. */
function needsMore(batch: Batch, pos: number, have: number): boolean {
  return batch.next === pos && batch.bad === undefined && batch.need !== undefined && batch.need > have;
}

/** Decodes every good record in `buf` (file bytes from `pos`); stops at a record the chunk does not hold whole. */
function decodeBatch(segment: number, buf: Buffer, pos: number, limit: number): Batch {
  const records: LogRecord[] = [];
  const damaged: DamagedRecord[] = [];
  let at = 0;
  while (at < buf.length) {
    const decoded = decodeRecordAt(buf, at);
    if (decoded.ok) {
      records.push({ type: decoded.type, payload: decoded.payload, loc: { segment, offset: pos + at, length: decoded.length } });
      at += decoded.length;
      continue;
    }
    if (decoded.reason === 'corrupt') {
      // Only a bad record costs this check: healthy logs never get here.
      const framing = framingAfter(buf, at, pos, limit);
      if (framing === 'lost') return { records, damaged, next: pos + at, bad: decoded.detail };
      if (framing !== 'held') return { records, damaged, next: pos + at, need: framing.need };
      const length = recordLengthAt(buf, at)!;
      damaged.push({ offset: pos + at, length, detail: decoded.detail });
      at += length;
      continue;
    }
    // Short: the next chunk starts here, unless the record would run past the segment's end.
    const size = decoded.length ?? HEADER_BYTES;
    if (pos + at + size > limit) return { records, damaged, next: pos + at, bad: 'a record runs past the end of the segment' };
    return { records, damaged, next: pos + at, need: size };
  }
  return { records, damaged, next: pos + at };
}

/**
 * Whether a corrupt record at `at` (held whole by `buf`, so its length fits the segment) still frames the log:
 * the record its length points to is good, or it ends the segment exactly. `need` asks for more bytes to tell.
 */
function framingAfter(buf: Buffer, at: number, pos: number, limit: number): 'held' | 'lost' | { need: number } {
  const length = recordLengthAt(buf, at)!;
  const nextAt = at + length;
  if (pos + nextAt === limit) return 'held';
  const next = decodeRecordAt(buf, nextAt);
  if (next.ok) return 'held';
  if (next.reason === 'corrupt') return 'lost';
  const size = next.length ?? HEADER_BYTES;
  if (pos + nextAt + size > limit) return 'lost';
  return { need: length + size };
}

/** How much of a segment file is good or damaged records, and why the rest is not (synchronous: only used by open). */
export function validPrefixSync(file: string, size: number): { length: number; reason: string; damaged: DamagedRecord[] } {
  const fd = fs.openSync(file, 'r');
  const damaged: DamagedRecord[] = [];
  try {
    let pos = 0;
    let want = Math.min(CHUNK_BYTES, size);
    while (pos < size) {
      const buf = Buffer.allocUnsafe(want);
      const got = fs.readSync(fd, buf, 0, want, pos);
      const batch = decodeBatch(0, buf.subarray(0, got), pos, size);
      damaged.push(...batch.damaged);
      if (batch.bad !== undefined) return { length: batch.next, reason: batch.bad, damaged };
      if (got === want && needsMore(batch, pos, got)) {
        want = batch.need!;
        continue;
      }
      if (batch.next === pos) return { length: pos, reason: 'a torn record', damaged };
      pos = batch.next;
      want = Math.min(CHUNK_BYTES, size - pos);
    }
    return { length: pos, reason: 'nothing cut', damaged };
  } catch (error) {
    throw new Error(`session log: cannot read ${file}: ${errorMessage(error)}`, { cause: error });
  } finally {
    fs.closeSync(fd);
  }
}
