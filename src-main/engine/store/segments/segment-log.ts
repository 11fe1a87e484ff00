/**
 * One session's append-only log, cut into numbered segment files (format and contract in segment-types.ts).
 *
 * Appends frame the record and queue it on the active segment; a flush cycle (one at a time) then writes each
 * segment's queue with gathered writes at its known end, fsyncs, and only then counts the bytes as written. The
 * write descriptor is opened per cycle and closed after the sync, so a read-only remount or space freed on a full
 * disk is never blocked by us. A failed or short write is cut back to the last good length before the next try,
 * so a retry neither leaves a gap nor duplicates a record.
 *
 * Its parts: segment-file.ts (a segment as kept in memory), segment-io.ts (the writes, reads and read descriptors),
 * segment-decode.ts (framing checks, damaged records, torn tails), segment-scan.ts (reading the log in order).
 */
import fs, { promises as fsp } from 'node:fs';
import { DIR_MODE, errorMessage, fsyncDir } from '../fs-util.js';
import { ChunkCache, clusters } from './read-ahead.js';
import { decodeRecordAt, encodeRecord, HEADER_BYTES } from './record-codec.js';
import { damagedMessage, validPrefixSync } from './segment-decode.js';
import { describeLocation as describe, findPending, newSegment, pendingToRecord, recordError, segmentFileName, type Segment } from './segment-file.js';
import { readFully, ReadHandles, writeQueuedRecords } from './segment-io.js';
import { scanLog, type ScanView } from './segment-scan.js';
import type { LogRecord, RecordLocation, RecordType, SegmentInfo, SessionLog, SessionLogOptions } from './segment-types.js';

export { recordError, segmentFileName } from './segment-file.js';

const DEFAULT_SEGMENT_BYTES = 32 * 1024 * 1024;
const DEFAULT_FLUSH_MS = 250;
const MAX_FLUSH_MS = 1000;
const READ_HANDLES = 8;
const SEGMENT_FILE = /^(\d{10})\.seg$/;

export async function openSessionLog(options: SessionLogOptions): Promise<SessionLog> {
  const log = new SegmentLog(options);
  log.openSync();
  return log;
}

class SegmentLog implements SessionLog {
  readonly dir: string;
  private readonly segmentBytes: number;
  private readonly flushMs: number;
  private readonly warn: (message: string) => void;
  private readonly onWriteState: (error: Error | undefined) => void;
  private readonly segs = new Map<number, Segment>();
  private active!: Segment;
  private queued = 0;
  private total = 0;
  private failing: Error | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The last flush cycle or deletion: they run strictly one at a time. */
  private tail: Promise<void> = Promise.resolve();
  /** A cycle chained but not started yet: further flush() calls join it instead of queueing more. */
  private nextCycle: Promise<void> | undefined;
  private readonly readers = new ReadHandles(READ_HANDLES);
  private readonly ahead = new ChunkCache();
  private readonly view: ScanView;

  constructor(options: SessionLogOptions) {
    if (typeof options?.dir !== 'string' || options.dir === '') throw new TypeError('session log: dir is required');
    this.dir = options.dir;
    this.segmentBytes = positive('segmentBytes', options.segmentBytes ?? DEFAULT_SEGMENT_BYTES);
    this.flushMs = Math.min(positive('flushMs', options.flushMs ?? DEFAULT_FLUSH_MS), MAX_FLUSH_MS);
    this.warn = options.onWarning ?? ((message) => console.warn(message));
    this.onWriteState = options.onWriteState ?? (() => undefined);
    this.view = { dir: this.dir, segs: this.segs, readers: this.readers, isClosed: () => this.closed, warn: this.warn };
  }

  /** Before the log is in use, so synchronous calls are fine here. */
  openSync(): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: DIR_MODE });
    const numbers = fs
      .readdirSync(this.dir)
      .map((name) => SEGMENT_FILE.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const number of numbers) {
      const seg = this.addSegment(number, false);
      seg.written = fs.statSync(seg.file).size;
      this.total += seg.written;
    }
    const last = numbers.length > 0 ? this.segs.get(numbers[numbers.length - 1]!)! : this.addSegment(0, true);
    this.active = last;
    if (numbers.length > 0) this.cutTornTail(last);
    this.scheduleCycle();
  }

  private addSegment(number: number, isNew: boolean): Segment {
    const seg = newSegment(this.dir, number, isNew);
    this.segs.set(number, seg);
    return seg;
  }

  /** Validates the whole last segment and cuts it after its last good record (a damaged one in the middle stays). */
  private cutTornTail(seg: Segment): void {
    const good = validPrefixSync(seg.file, seg.written);
    for (const d of good.damaged) this.warn(`session log ${this.dir}: ${damagedMessage(seg.number, d)}`);
    if (good.length === seg.written) return;
    const fd = fs.openSync(seg.file, 'r+');
    try {
      fs.ftruncateSync(fd, good.length);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.warn(
      `session log ${this.dir}: cut ${seg.written - good.length} bytes after the last good record of ` +
        `${segmentFileName(seg.number)} at offset ${good.length} (${good.reason})`,
    );
    this.total -= seg.written - good.length;
    seg.written = good.length;
  }

  get activeSegment(): number {
    return this.active.number;
  }

  get pendingBytes(): number {
    return this.queued;
  }

  get totalBytes(): number {
    return this.total;
  }

  append(type: RecordType, payload: Buffer | readonly Buffer[]): RecordLocation {
    if (this.closed) throw new Error(`session log ${this.dir} is closed`);
    const { chunks, length } = encodeRecord(type, payload);
    let seg = this.active;
    const size = seg.written + seg.pendingBytes;
    if (size > 0 && size + length > this.segmentBytes) seg = this.rotate();
    const offset = seg.written + seg.pendingBytes;
    seg.pending.push({ offset, length, type, chunks });
    seg.pendingBytes += length;
    this.queued += length;
    this.total += length;
    return { segment: seg.number, offset, length };
  }

  private rotate(): Segment {
    this.active = this.addSegment(this.active.number + 1, true);
    return this.active;
  }

  end(): { segment: number; offset: number } {
    return { segment: this.active.number, offset: this.active.written + this.active.pendingBytes };
  }

  durableEnd(): { segment: number; offset: number } {
    for (const seg of this.ordered()) {
      if (seg.pendingBytes > 0) return { segment: seg.number, offset: seg.written };
    }
    return { segment: this.active.number, offset: this.active.written };
  }

  segments(): SegmentInfo[] {
    return this.ordered().map((seg) => ({ segment: seg.number, bytes: seg.written + seg.pendingBytes }));
  }

  private ordered(): Segment[] {
    return [...this.segs.values()].sort((a, b) => a.number - b.number);
  }

  async read(loc: RecordLocation): Promise<LogRecord> {
    if (this.closed) throw new Error(`session log ${this.dir} is closed`);
    const seg = this.segs.get(loc?.segment);
    if (!seg || !Number.isInteger(loc.offset) || loc.offset < 0 || !(loc.length >= HEADER_BYTES)) {
      throw recordError('RECORD_MISSING', `no record at ${describe(loc)} in ${this.dir}`);
    }
    if (loc.offset >= seg.written) return this.readPending(seg, loc);
    let buf = loc.offset + loc.length <= seg.written ? this.ahead.get(loc) : undefined;
    if (!buf) {
      buf = Buffer.allocUnsafe(loc.length);
      const target = buf;
      const bytesRead = await this.readers.use(seg.number, seg.file, (h) => readFully(h, target, loc.offset));
      if (bytesRead < loc.length) throw recordError('RECORD_MISSING', `short read of ${describe(loc)} in ${this.dir}`);
    }
    const decoded = decodeRecordAt(buf, 0);
    if (!decoded.ok || decoded.length !== loc.length) {
      const why = decoded.ok ? `length ${decoded.length}, expected ${loc.length}` : decoded.reason === 'corrupt' ? decoded.detail : 'truncated';
      throw recordError('RECORD_CORRUPT', `bad record at ${describe(loc)} in ${this.dir}: ${why}`);
    }
    return { type: decoded.type, payload: decoded.payload, loc: { ...loc } };
  }

  private readPending(seg: Segment, loc: RecordLocation): LogRecord {
    const record = findPending(seg, loc.offset);
    if (!record || record.length !== loc.length) {
      throw recordError('RECORD_MISSING', `no record at ${describe(loc)} in ${this.dir}`);
    }
    return pendingToRecord(seg, record);
  }

  /**
   * Reads the written records at `locs` (and what lies between and up to `before` bytes ahead of them) in a few large
   * reads, so the read() calls that follow are answered from memory (see read-ahead.ts). Best effort: a failed read
   * ahead only means those reads go to the disk.
   */
  async prefetch(locs: readonly RecordLocation[], before = 0): Promise<void> {
    if (this.closed) return;
    const ranges = clusters(locs, (n) => this.segs.get(n)?.written ?? 0, before).filter((r) => !this.ahead.has(r));
    await Promise.all(ranges.map(async (range) => {
      const seg = this.segs.get(range.segment);
      if (!seg) return;
      const buf = Buffer.allocUnsafe(range.end - range.start);
      const got = await this.readers.use(seg.number, seg.file, (h) => readFully(h, buf, range.start)).catch(() => 0);
      if (got === buf.length && this.segs.has(range.segment)) this.ahead.add(range, buf);
    }));
  }

  scan(from?: { segment: number; offset: number }): AsyncIterable<LogRecord> {
    return { [Symbol.asyncIterator]: () => scanLog(this.view, from) };
  }

  async deleteSegmentsBefore(segment: number): Promise<void> {
    if (!Number.isInteger(segment)) throw new TypeError(`deleteSegmentsBefore: expected an integer, got ${String(segment)}`);
    await this.exclusive(async () => {
      const doomed = this.ordered().filter((s) => s.number < segment && s !== this.active);
      if (doomed.length === 0) return;
      this.ahead.dropBefore(segment);
      for (const seg of doomed) {
        this.segs.delete(seg.number);
        this.queued -= seg.pendingBytes;
        this.total -= seg.written + seg.pendingBytes;
        await this.readers.close(seg.number);
      }
      await Promise.all(doomed.map((seg) => fsp.unlink(seg.file).catch(ignoreMissing)));
      await fsyncDir(this.dir);
    });
  }

  flush(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`session log ${this.dir} is closed`));
    return this.cycle();
  }

  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.cycle().catch(() => undefined);
    await this.tail;
    await this.readers.closeAll();
  }

  private scheduleCycle(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const run = this.queued > 0 ? this.cycle() : Promise.resolve();
      run.catch(() => undefined).finally(() => this.scheduleCycle());
    }, this.flushMs);
    this.timer.unref();
  }

  /** Chains a flush cycle after whatever runs now; joins one that is chained but not started. */
  private cycle(): Promise<void> {
    if (this.nextCycle) return this.nextCycle;
    const run = this.exclusive(async () => {
      this.nextCycle = undefined;
      await this.writeQueued();
    });
    this.nextCycle = run;
    return run;
  }

  private exclusive(task: () => Promise<void>): Promise<void> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async writeQueued(): Promise<void> {
    try {
      for (const seg of this.ordered()) {
        if (seg.pendingBytes > 0 || seg.needsTruncate) await this.writeSegment(seg);
      }
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      if (!this.failing) this.report(err);
      this.failing = err;
      throw err;
    }
    if (this.failing) {
      this.failing = undefined;
      this.report(undefined);
    }
  }

  /** A throwing listener must not break the write path. */
  private report(error: Error | undefined): void {
    try {
      this.onWriteState(error);
    } catch (listenerError) {
      this.warn(`session log ${this.dir}: onWriteState threw: ${errorMessage(listenerError)}`);
    }
  }

  /** Writes what is queued for `seg` now (appends during the write wait for the next cycle). */
  private async writeSegment(seg: Segment): Promise<void> {
    // A deletion cannot run meanwhile (same chain), so `seg` is still this log's.
    const bytes = await writeQueuedRecords(seg, this.dir, seg.pending.length);
    this.queued -= bytes;
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`session log: ${name} must be a positive number, got ${String(value)}`);
  return value;
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException)?.code !== 'ENOENT') throw error;
}
