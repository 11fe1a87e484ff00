/**
 * One segment file of a session log as the log keeps it in memory (segment-log.ts): how much of it is written
 * and fsync'd, and the records queued after that. Records still queued are read from here.
 */
import path from 'node:path';
import { joinChunks } from './record-codec.js';
import type { LogRecord, RecordLocation, RecordType } from './segment-types.js';

export interface PendingRecord {
  offset: number;
  length: number;
  type: RecordType;
  chunks: Buffer[];
}

export interface Segment {
  number: number;
  file: string;
  /** Bytes on disk and fsync'd: everything before this offset is trusted for length. */
  written: number;
  /** Records appended but not yet written, in offset order, starting at `written`. */
  pending: PendingRecord[];
  pendingBytes: number;
  /** The file (or its directory entry) has not been made durable yet. */
  needsDirSync: boolean;
  /** A write failed after it may have reached the file: cut it back to `written` before writing again. */
  needsTruncate: boolean;
}

export function segmentFileName(segment: number): string {
  return `${String(segment).padStart(10, '0')}.seg`;
}

export function newSegment(dir: string, number: number, isNew: boolean): Segment {
  return {
    number,
    file: path.join(dir, segmentFileName(number)),
    written: 0,
    pending: [],
    pendingBytes: 0,
    needsDirSync: isNew,
    needsTruncate: false,
  };
}

export function recordError(code: 'RECORD_CORRUPT' | 'RECORD_MISSING', message: string): Error {
  return Object.assign(new Error(message), { code });
}

export function describeLocation(loc: RecordLocation | undefined): string {
  return loc ? `segment ${loc.segment} offset ${loc.offset} (length ${loc.length})` : 'an undefined location';
}

export function findPending(seg: Segment, offset: number): PendingRecord | undefined {
  const list = seg.pending;
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = list[mid]!.offset;
    if (at === offset) return list[mid];
    if (at < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

export function pendingToRecord(seg: Segment, record: PendingRecord): LogRecord {
  return {
    type: record.type,
    payload: record.chunks.length === 1 ? Buffer.alloc(0) : joinChunks(record.chunks.slice(1)),
    loc: { segment: seg.number, offset: record.offset, length: record.length },
  };
}
