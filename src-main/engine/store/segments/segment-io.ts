/**
 * File I/O of the session log (segment-log.ts): full reads, gathered writes that survive short writes and leave
 * nothing half-written behind, and a small pool of read descriptors.
 */
import fs, { promises as fsp } from 'node:fs';
import { errorMessage, FILE_MODE, fsyncDir } from '../fs-util.js';
import { recordError, type PendingRecord, type Segment } from './segment-file.js';

/** Buffers per writev call: IOV_MAX on Linux. */
const MAX_IOV = 1024;

/**
 * Writes `count` queued records of `seg` at its written end, fsyncs, and only then counts them as written; returns
 * their bytes. A failed write is cut back to the last good length (now, or before the next try), so a retry
 * neither leaves a gap nor duplicates a record.
 */
export async function writeQueuedRecords(seg: Segment, dir: string, count: number): Promise<number> {
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
    await closeAfterWrite(handle, seg);
  }
  if (seg.needsDirSync) {
    await fsyncDir(dir);
    seg.needsDirSync = false;
  }
  seg.pending.splice(0, count);
  seg.pendingBytes -= bytes;
  seg.written += bytes;
  return bytes;
}

/** After a failed write, cut the file back to its last good length while the descriptor is still open. */
async function closeAfterWrite(handle: fsp.FileHandle, seg: Segment): Promise<void> {
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

export async function readFully(handle: fsp.FileHandle, buf: Buffer, position: number): Promise<number> {
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
export class ReadHandles {
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
