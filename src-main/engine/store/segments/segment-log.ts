/**
 * One session's append-only log, cut into numbered segment files (format and contract in segment-types.ts).
 *
 * Appends frame the record and queue it on the active segment; a flush cycle (one at a time) then writes each
 * segment's queue with gathered writes at its known end, fsyncs, and only then counts the bytes as written. The
 * write descriptor is opened per cycle and closed after the sync, so a read-only remount or space freed on a full
 * disk is never blocked by us. A failed or short write is cut back to the last good length before the next try,
 * so a retry neither leaves a gap nor duplicates a record.
 */
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { DIR_MODE, errorMessage, FILE_MODE, fsyncDir } from '../fs-util.js';
import { ChunkCache, clusters } from './read-ahead.js';
import { decodeRecordAt, encodeRecord, HEADER_BYTES, joinChunks, recordLengthAt } from './record-codec.js';
import type { LogRecord, RecordLocation, RecordType, SegmentInfo, SessionLog, SessionLogOptions } from './segment-types.js';

const DEFAULT_SEGMENT_BYTES = 32 * 1024 * 1024;
const DEFAULT_FLUSH_MS = 250;
const MAX_FLUSH_MS = 1000;
/** Scans and open() read this much at a time; a bigger record is read whole. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Buffers per writev call: IOV_MAX on Linux. */
const MAX_IOV = 1024;
const READ_HANDLES = 8;
const SEGMENT_FILE = /^(\d{10})\.seg$/;

interface PendingRecord {
  offset: number;
  length: number;
  type: RecordType;
  chunks: Buffer[];
}

interface Segment {
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

export function recordError(code: 'RECORD_CORRUPT' | 'RECORD_MISSING', message: string): Error {
  return Object.assign(new Error(message), { code });
}

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

  constructor(options: SessionLogOptions) {
    if (typeof options?.dir !== 'string' || options.dir === '') throw new TypeError('session log: dir is required');
    this.dir = options.dir;
    this.segmentBytes = positive('segmentBytes', options.segmentBytes ?? DEFAULT_SEGMENT_BYTES);
    this.flushMs = Math.min(positive('flushMs', options.flushMs ?? DEFAULT_FLUSH_MS), MAX_FLUSH_MS);
    this.warn = options.onWarning ?? ((message) => console.warn(message));
    this.onWriteState = options.onWriteState ?? (() => undefined);
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
    const seg: Segment = {
      number,
      file: path.join(this.dir, segmentFileName(number)),
      written: 0,
      pending: [],
      pendingBytes: 0,
      needsDirSync: isNew,
      needsTruncate: false,
    };
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
    return { [Symbol.asyncIterator]: () => this.scanRecords(from) };
  }

  private async *scanRecords(from?: { segment: number; offset: number }): AsyncGenerator<LogRecord> {
    const first = from?.segment ?? -1;
    // Looked up afresh after each segment: appends may rotate to a new one while the scan runs.
    for (let number = this.nextSegmentFrom(first); number !== undefined; number = this.nextSegmentFrom(number + 1)) {
      yield* this.scanSegment(number, number === first ? (from?.offset ?? 0) : 0);
    }
  }

  private nextSegmentFrom(number: number): number | undefined {
    let best: number | undefined;
    for (const n of this.segs.keys()) if (n >= number && (best === undefined || n < best)) best = n;
    return best;
  }

  /**
   * Reads the written part in big chunks, then serves what is still queued. Payloads read from the file are views
   * into a shared chunk: a consumer that keeps one for long should copy it. Flushes may move records from the
   * queue to the file meanwhile, so where the next record lives is decided again before each one.
   */
  private async *scanSegment(number: number, start: number): AsyncGenerator<LogRecord> {
    let pos = start;
    let sinceBreak = 0;
    for (;;) {
      const seg = this.segs.get(number);
      if (!seg || this.closed) return;
      if (pos < seg.written) {
        const batch = await this.readBatch(seg, pos).catch((error: unknown) => {
          // A segment deleted under the scan simply ends it; a vanished file ends it with a warning (a rebuild
          // should still get the other segments).
          if (!this.segs.has(number)) return undefined;
          if ((error as { code?: string })?.code !== 'RECORD_MISSING') throw error;
          this.warn(`session log ${this.dir}: ${errorMessage(error)}; the rest of ${segmentFileName(number)} is skipped`);
          return undefined;
        });
        if (!batch) return;
        for (const d of batch.damaged) this.warn(`session log ${this.dir}: ${damagedMessage(number, d)}`);
        for (const record of batch.records) yield record;
        pos = batch.next;
        if (batch.bad !== undefined) {
          this.warn(`session log ${this.dir}: ${segmentFileName(number)} has a bad record at offset ${pos} (${batch.bad}); the rest of that segment is skipped`);
          return;
        }
        continue;
      }
      const record = findPending(seg, pos);
      if (!record) return;
      yield pendingToRecord(seg, record);
      pos += record.length;
      // Yields of queued records are microtasks only: give timers and I/O a turn now and then.
      sinceBreak += record.length;
      if (sinceBreak >= CHUNK_BYTES) {
        sinceBreak = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  /** The good records of one chunk of the file from `pos`; `bad` says why the segment cannot be read further. */
  private async readBatch(seg: Segment, pos: number): Promise<Batch> {
    const limit = seg.written;
    let want = Math.min(CHUNK_BYTES, limit - pos);
    for (;;) {
      const buf = Buffer.allocUnsafe(want);
      const got = await this.readers.use(seg.number, seg.file, (h) => readFully(h, buf, pos));
      if (got < want) return { records: [], damaged: [], next: pos, bad: 'the file is shorter than expected' };
      const batch = decodeBatch(seg.number, buf, pos, limit);
      if (needsMore(batch, pos, want)) want = batch.need!;
      else if (batch.next === pos && batch.bad === undefined) return { ...batch, bad: 'a record cannot be read whole' };
      else return batch;
    }
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
    const count = seg.pending.length;
    const records = seg.pending.slice(0, count);
    const bytes = records.reduce((sum, r) => sum + r.length, 0);
    const handle = await fsp.open(seg.file, fs.constants.O_WRONLY | fs.constants.O_CREAT, FILE_MODE);
    try {
      if (seg.needsTruncate) {
        await handle.truncate(seg.written);
        seg.needsTruncate = false;
      }
      seg.needsTruncate = true;
      await writeAllAt(handle, records, seg.written);
      await handle.datasync();
      seg.needsTruncate = false;
    } finally {
      await this.closeAfterWrite(handle, seg);
    }
    if (seg.needsDirSync) {
      await fsyncDir(this.dir);
      seg.needsDirSync = false;
    }
    // A deletion cannot run meanwhile (same chain), so `seg` is still this log's.
    seg.pending.splice(0, count);
    seg.pendingBytes -= bytes;
    seg.written += bytes;
    this.queued -= bytes;
  }

  /** After a failed write, cut the file back to its last good length while the descriptor is still open. */
  private async closeAfterWrite(handle: fsp.FileHandle, seg: Segment): Promise<void> {
    if (seg.needsTruncate) {
      try {
        await handle.truncate(seg.written);
        seg.needsTruncate = false;
      } catch {
        // Retried before the next write (e.g. the disk is read-only for now).
      }
    }
    await handle.close().catch(() => undefined);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`session log: ${name} must be a positive number, got ${String(value)}`);
  return value;
}

function describe(loc: RecordLocation | undefined): string {
  return loc ? `segment ${loc.segment} offset ${loc.offset} (length ${loc.length})` : 'an undefined location';
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException)?.code !== 'ENOENT') throw error;
}

function findPending(seg: Segment, offset: number): PendingRecord | undefined {
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

function pendingToRecord(seg: Segment, record: PendingRecord): LogRecord {
  return {
    type: record.type,
    payload: record.chunks.length === 1 ? Buffer.alloc(0) : joinChunks(record.chunks.slice(1)),
    loc: { segment: seg.number, offset: record.offset, length: record.length },
  };
}

/** A record that failed its check but whose framing holds: the record after it is good (or it ends the file). */
interface DamagedRecord {
  offset: number;
  length: number;
  detail: string;
}

interface Batch {
  records: LogRecord[];
  /** Skipped, in offset order; `records` holds every good record around them. */
  damaged: DamagedRecord[];
  next: number;
  /** Why nothing from `next` on can be trusted. */
  bad?: string;
  /** Bytes from `next` that must be read at once to get on (a big record, or a damaged one and the one after it). */
  need?: number;
}

function damagedMessage(segment: number, d: DamagedRecord): string {
  return `${segmentFileName(segment)} has a damaged record at offset ${d.offset} (${d.detail}, ${d.length} bytes); it is skipped, the records after it are kept`;
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
function validPrefixSync(file: string, size: number): { length: number; reason: string; damaged: DamagedRecord[] } {
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

async function readFully(handle: fsp.FileHandle, buf: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await handle.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Gathered writes at `position`, continuing after short writes. */
async function writeAllAt(handle: fsp.FileHandle, records: readonly PendingRecord[], position: number): Promise<void> {
  let buffers: Buffer[] = [];
  for (const record of records) for (const chunk of record.chunks) buffers.push(chunk);
  while (buffers.length > 0) {
    const batch = buffers.slice(0, MAX_IOV);
    const { bytesWritten } = await handle.writev(batch, position);
    if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    position += bytesWritten;
    buffers = dropWritten(buffers, bytesWritten);
  }
}

function dropWritten(buffers: Buffer[], written: number): Buffer[] {
  let i = 0;
  while (i < buffers.length && written >= buffers[i]!.length) written -= buffers[i++]!.length;
  const rest = buffers.slice(i);
  if (written > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(written);
  return rest;
}

/**
 * Read descriptors, one per segment, the least recently used closed past `max`. A handle in use is closed when
 * its last reader is done.
 */
class ReadHandles {
  private readonly open = new Map<number, { handle: Promise<fsp.FileHandle>; users: number; doomed: boolean }>();

  constructor(private readonly max: number) {}

  async use<T>(segment: number, file: string, task: (handle: fsp.FileHandle) => Promise<T>): Promise<T> {
    let slot = this.open.get(segment);
    if (slot) this.open.delete(segment);
    else slot = { handle: fsp.open(file, 'r'), users: 0, doomed: false };
    this.open.set(segment, slot);
    // Counted as in use before evicting, so the slot just taken is never the one closed.
    slot.users++;
    this.evict();
    try {
      const handle = await slot.handle.catch((error: unknown) => {
        if (this.open.get(segment) === slot) this.open.delete(segment);
        if ((error as NodeJS.ErrnoException)?.code !== 'ENOENT') throw error;
        throw recordError('RECORD_MISSING', `cannot open ${file}: ${errorMessage(error)}`);
      });
      return await task(handle);
    } finally {
      slot.users--;
      if (slot.doomed && slot.users === 0) await closeSlot(slot.handle);
    }
  }

  private evict(): void {
    for (const [segment, slot] of this.open) {
      if (this.open.size <= this.max) return;
      if (slot.users > 0) continue;
      this.open.delete(segment);
      void closeSlot(slot.handle);
    }
  }

  async close(segment: number): Promise<void> {
    const slot = this.open.get(segment);
    if (!slot) return;
    this.open.delete(segment);
    if (slot.users > 0) slot.doomed = true;
    else await closeSlot(slot.handle);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open.keys()].map((segment) => this.close(segment)));
  }
}

async function closeSlot(handle: Promise<fsp.FileHandle>): Promise<void> {
  await handle.then((h) => h.close()).catch(() => undefined);
}
