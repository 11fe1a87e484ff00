/**
 * The record of truth: one append-only log per session, cut into numbered segment files. See segment-log.ts.
 *
 * On disk: `<dir>/<segment number, 10 digits>.seg`. A segment file is a sequence of records, each
 *   u32 LE payload length | u32 LE crc32 (of type byte + payload) | u8 type | payload
 * so a record is 9 bytes + payload. A record that fails its check (bad crc, unknown type) whose length still fits the
 * file is DAMAGED when the record its length points to is good, or when it ends the file exactly: its framing holds,
 * so it is skipped with a warning (segment + offset) by open and by scan, every record after it is kept, and read()
 * of it rejects with RECORD_CORRUPT. Otherwise the framing is lost there: the LAST segment is cut at that record when
 * the log is opened (as is a torn tail: a short header or a record running past the end), and in an older segment
 * the scan ends that segment with a warning and reads the next one. Only a bad record costs the extra check.
 */

/** Where a record lives: `offset` is the record's first header byte in segment file `segment`. */
export interface RecordLocation {
  segment: number;
  offset: number;
  /** Whole record length, header included. */
  length: number;
}

export enum RecordType {
  /** The session's SessionRecord as JSON (appended on every upsert; the last one wins on a rebuild). */
  Session = 1,
  /** An entry: JSON of StoredEntry (entry without decoded bodies, plus where its bodies are). */
  Entry = 2,
  /** One body's raw bytes: u8 side (0 request, 1 response) | u16 LE id length | entry id (utf8) | bytes. */
  Body = 3,
  /** Tags/notes of one entry: JSON { id, seq, tags?, notes? }. */
  Patch = 4,
  /** Entries deleted by the user: JSON { ids: string[] }. */
  Tombstone = 5,
  /** FIFO eviction: JSON { throughSeq } — every entry of this session with seq <= throughSeq is gone. */
  Evicted = 6,
}

export interface LogRecord {
  type: RecordType;
  payload: Buffer;
  loc: RecordLocation;
}

export interface SegmentInfo {
  segment: number;
  /** Bytes in the file plus bytes queued for it. */
  bytes: number;
}

export interface SessionLogOptions {
  /** This session's directory (created 0700 if missing; files 0600). */
  dir: string;
  /** Start a new segment once the active one reaches this size. Default 32 MiB. */
  segmentBytes?: number;
  /** Queued bytes are written on this period, and fsync'd once per write (the kill -9 window). Default 250 ms, max 1000. */
  flushMs?: number;
  /** Warnings for people (a torn tail cut, a bad record skipped). */
  onWarning?: (message: string) => void;
  /** Called once when writes start failing (with the error) and once when they succeed again (with undefined). */
  onWriteState?: (error: Error | undefined) => void;
}

/**
 * One session's log. `append` never waits: it frames the record, queues its bytes, and returns where it will live.
 * Reads of a record still queued are answered from memory, so a read issued after an append always finds it.
 * Writes are asynchronous (fs.promises or fs callbacks, never *Sync on the hot path) and batched: one write +
 * one fsync per flush cycle per session. A write that fails (ENOSPC, EROFS) keeps the bytes queued and retries on
 * the next cycle; the caller bounds memory through `pendingBytes`.
 */
export interface SessionLog {
  readonly dir: string;
  append(type: RecordType, payload: Buffer | readonly Buffer[]): RecordLocation;
  read(loc: RecordLocation): Promise<LogRecord>;
  /** Reads these written records ahead in a few large reads, so the read() calls that follow are cheap. */
  prefetch?(locs: readonly RecordLocation[], before?: number): Promise<void>;
  /** Every good record from `from` (default: the first record of the oldest segment) to the end, in order. */
  scan(from?: { segment: number; offset: number }): AsyncIterable<LogRecord>;
  /** The position just after the last appended record (queued or written). */
  end(): { segment: number; offset: number };
  /** The position just after the last record that is on disk AND fsync'd. */
  durableEnd(): { segment: number; offset: number };
  segments(): SegmentInfo[];
  readonly activeSegment: number;
  /** Bytes appended but not yet written. */
  readonly pendingBytes: number;
  /** Total bytes of all segment files (written + queued). */
  readonly totalBytes: number;
  /** Unlink every segment numbered below `segment` (never the active one). */
  deleteSegmentsBefore(segment: number): Promise<void>;
  /** Write and fsync everything queued now. Rejects with the write error if the disk refuses. */
  flush(): Promise<void>;
  /** Flush (best effort) and release; unusable afterwards. */
  close(): Promise<void>;
}
