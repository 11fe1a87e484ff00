import { promises as fsp, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BodySide } from './store-types.js';
import { DIR_MODE, fsyncDir, isCode, safeFileName, unlinkIfPresent, unsafeFileName, writeFileUnsynced } from './fs-util.js';
import { bodyLength, joinBody, type BodyBytes } from './store-types.js';

const WRITE_BATCH = 16;

/** Where the store keeps a large body: shared with proxy workers, which write such files themselves. */
export function bodyFilePath(dataDir: string, sessionId: string, entryId: string, side: BodySide): string {
  return path.join(dataDir, 'bodies', safeFileName(sessionId), `${safeFileName(entryId)}.${side}`);
}

/** The inverse of bodyFilePath, for files the store must account for without having kept their owner. */
export function bodyFileOwner(file: string): { sessionId: string; entryId: string; side: BodySide } | undefined {
  const match = /^(.+)\.(request|response)$/.exec(path.basename(file));
  if (!match) return undefined;
  return { sessionId: unsafeFileName(path.basename(path.dirname(file))), entryId: unsafeFileName(match[1]!), side: match[2] as BodySide };
}

/** Body-file work taken from the queues at one moment (see SqlJsStore.persist). */
export interface BodyBatch {
  writes: [string, BodyBytes][];
  unlinks: string[];
  rmdirs: string[];
}

export interface BodyWriteFailure {
  file: string;
  error: unknown;
}

/**
 * Large bodies, one file each under `bodies/<session>/<entry>.<side>`. Writes and deletions are queued and carried
 * out by the store's persist cycle, in an order that keeps the journal honest: new files are written before the
 * journal lines that refer to them, and files are removed only after the journal line that deletes their entry.
 */
export class BodyFiles {
  private readonly pendingWrites = new Map<string, BodyBytes>();
  /** Being written right now: reads must still see them, and a crash may leave them half-written. */
  private readonly inflight = new Map<string, BodyBytes>();
  private readonly pendingUnlinks = new Set<string>();
  private readonly pendingRmdirs = new Set<string>();
  private readonly knownDirs = new Set<string>();
  /** Bytes held in pendingWrites and inflight: the store bounds it. */
  private heldBytes = 0;

  constructor(readonly root: string) {}

  sessionDir(sessionId: string): string {
    return path.join(this.root, safeFileName(sessionId));
  }

  pathOf(sessionId: string, entryId: string, side: BodySide): string {
    return bodyFilePath(path.dirname(this.root), sessionId, entryId, side);
  }

  get hasPending(): boolean {
    return this.pendingWrites.size + this.pendingUnlinks.size + this.pendingRmdirs.size > 0;
  }

  /** Bytes of bodies waiting in memory for the disk. */
  get pendingBytes(): number {
    return this.heldBytes;
  }

  /** Files queued or being written, i.e. not on disk yet. */
  unsavedFiles(): string[] {
    return [...new Set([...this.pendingWrites.keys(), ...this.inflight.keys()])];
  }

  isUnsaved(file: string): boolean {
    return this.pendingWrites.has(file) || this.inflight.has(file);
  }

  queueWrite(file: string, data: BodyBytes): void {
    this.pendingUnlinks.delete(file);
    this.pendingRmdirs.delete(path.dirname(file));
    this.forgetPending(file);
    this.pendingWrites.set(file, data);
    this.heldBytes += bodyLength(data);
  }

  queueDelete(file: string): void {
    this.forgetPending(file);
    this.pendingUnlinks.add(file);
  }

  queueRmdir(dir: string): void {
    this.pendingRmdirs.add(dir);
  }

  /** A queued body that will not be written after all (the store gave up on it). */
  discard(file: string): void {
    this.forgetPending(file);
  }

  private forgetPending(file: string): void {
    const old = this.pendingWrites.get(file);
    if (old === undefined) return;
    this.pendingWrites.delete(file);
    if (this.inflight.get(file) !== old) this.heldBytes -= bodyLength(old);
  }

  /** Synchronous because the store's read API is; large bodies are only read when someone opens one. */
  read(file: string): Buffer | undefined {
    const queued = this.pendingWrites.get(file) ?? this.inflight.get(file);
    if (queued) return joinBody(queued);
    try {
      return readFileSync(file);
    } catch (error) {
      if (isCode(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  /** Everything queued so far; work queued later waits for the next batch. */
  takeBatch(): BodyBatch {
    const batch: BodyBatch = { writes: [...this.pendingWrites], unlinks: [...this.pendingUnlinks], rmdirs: [...this.pendingRmdirs] };
    this.pendingWrites.clear();
    this.pendingUnlinks.clear();
    this.pendingRmdirs.clear();
    for (const [file, data] of batch.writes) this.inflight.set(file, data);
    return batch;
  }

  /**
   * Writes the batch's files. Never throws: a file that cannot be written (full disk, a bad directory) must not
   * hold back the others, so each failure is reported and its bytes requeued for the next cycle.
   */
  async writeBatch(batch: BodyBatch): Promise<BodyWriteFailure[]> {
    const failures: BodyWriteFailure[] = [];
    const written = new Map<string, string[]>();
    for (let i = 0; i < batch.writes.length; i += WRITE_BATCH) {
      const slice = batch.writes.slice(i, i + WRITE_BATCH);
      const results = await Promise.allSettled(slice.map(([file, data]) => this.writeOne(file, data)));
      results.forEach((result, j) => {
        const file = slice[j]![0];
        if (result.status === 'rejected') failures.push({ file, error: result.reason });
        else written.set(path.dirname(file), [...(written.get(path.dirname(file)) ?? []), file]);
      });
    }
    const syncDirs = written.size > 0 ? [this.root, ...written.keys()] : [];
    for (const dir of syncDirs) {
      try {
        await fsyncDir(dir);
      } catch (error) {
        for (const file of written.get(dir) ?? []) failures.push({ file, error });
      }
    }
    const failed = new Set(failures.map((f) => f.file));
    for (const [file, data] of batch.writes) this.settle(file, data, failed.has(file));
    if (failures.length > 0) this.knownDirs.clear();
    return failures;
  }

  private async writeOne(file: string, data: BodyBytes): Promise<void> {
    const dir = path.dirname(file);
    if (!this.knownDirs.has(dir)) {
      await fsp.mkdir(dir, { recursive: true, mode: DIR_MODE });
      this.knownDirs.add(dir);
    }
    // No fdatasync per body: a process kill loses nothing the kernel has accepted, and a sync per captured
    // body was a large share of capture cost at 100 KB bodies. Power loss may truncate the newest bodies
    // (found short on the next open and reported lost); the journal and snapshots stay fully synced.
    await writeFileUnsynced(file, data);
  }

  /** After a write attempt: a failed body goes back to the queue unless it was superseded or deleted meanwhile. */
  private settle(file: string, data: BodyBytes, failed: boolean): void {
    if (this.inflight.get(file) !== data) return;
    this.inflight.delete(file);
    if (failed && !this.pendingWrites.has(file) && !this.pendingUnlinks.has(file)) this.pendingWrites.set(file, data);
    else if (this.pendingWrites.get(file) !== data) this.heldBytes -= bodyLength(data);
  }

  /** The journal could not take the deletions yet: their files must stay until it does. */
  requeueRemovals(batch: BodyBatch): void {
    for (const file of batch.unlinks) if (!this.pendingWrites.has(file)) this.pendingUnlinks.add(file);
    for (const dir of batch.rmdirs) this.pendingRmdirs.add(dir);
  }

  /** Removes the batch's deleted files and folders; a failure is requeued and reported, never thrown. */
  async removeBatch(batch: BodyBatch): Promise<unknown[]> {
    const failures: unknown[] = [];
    for (const file of batch.unlinks) {
      try {
        await unlinkIfPresent(file);
      } catch (error) {
        failures.push(error);
        if (!this.isUnsaved(file)) this.pendingUnlinks.add(file);
      }
    }
    for (const dir of batch.rmdirs) {
      if ([...this.pendingWrites.keys(), ...this.inflight.keys()].some((f) => path.dirname(f) === dir)) continue;
      this.knownDirs.delete(dir);
      try {
        await fsp.rmdir(dir);
      } catch (error) {
        if (!isCode(error, 'ENOENT', 'ENOTEMPTY', 'EEXIST')) failures.push(error);
      }
    }
    return failures;
  }

  /**
   * After a crash, files may exist that no entry refers to (written, but their journal line was lost; or their
   * entry's deletion was journaled but the unlink never ran). Only then is the walk worth its cost. Returns the
   * sizes of the files kept, so the store can tell which bodies the crash cut short.
   */
  async removeOrphans(expected: Set<string>): Promise<{ removed: number; sizes: Map<string, number> }> {
    const sizes = new Map<string, number>();
    let removed = 0;
    let sessions: string[];
    try {
      sessions = await fsp.readdir(this.root);
    } catch (error) {
      if (isCode(error, 'ENOENT')) return { removed, sizes };
      throw error;
    }
    for (const name of sessions) {
      const dir = path.join(this.root, name);
      let files: string[];
      try {
        files = await fsp.readdir(dir);
      } catch (error) {
        if (isCode(error, 'ENOTDIR')) continue;
        throw error;
      }
      let kept = 0;
      for (const file of files) {
        const full = path.join(dir, file);
        if (expected.has(full) || this.pendingWrites.has(full)) {
          kept++;
          sizes.set(full, (await fsp.stat(full)).size);
        } else {
          await fsp.rm(full, { force: true, recursive: true });
          removed++;
        }
      }
      if (kept === 0) await fsp.rmdir(dir).catch(() => undefined);
    }
    return { removed, sizes };
  }
}
