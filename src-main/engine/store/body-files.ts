import { promises as fsp, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BodySide } from './store-types.js';
import { DIR_MODE, fsyncDir, isCode, safeFileName, unlinkIfPresent, writeFileUnsynced } from './fs-util.js';
import { joinBody, type BodyBytes } from './store-types.js';

const WRITE_BATCH = 16;

/**
 * Large bodies, one file each under `bodies/<session>/<entry>.<side>`. Writes and deletions are queued and carried
 * out by the store's persist cycle, in an order that keeps the journal honest: new files are fsync'd before the
 * journal line that refers to them, and files are removed only after the journal line that deletes their entry.
 */
/** Where the store keeps a large body: shared with proxy workers, which write such files themselves. */
export function bodyFilePath(dataDir: string, sessionId: string, entryId: string, side: BodySide): string {
  return path.join(dataDir, 'bodies', safeFileName(sessionId), `${safeFileName(entryId)}.${side}`);
}

export class BodyFiles {
  private readonly pendingWrites = new Map<string, BodyBytes>();
  /** Being written right now: reads must still see them, and a crash may leave them half-written. */
  private readonly inflight = new Map<string, BodyBytes>();
  private readonly pendingUnlinks = new Set<string>();
  private readonly pendingRmdirs = new Set<string>();
  private readonly knownDirs = new Set<string>();

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

  queueWrite(file: string, data: BodyBytes): void {
    this.pendingUnlinks.delete(file);
    this.pendingRmdirs.delete(path.dirname(file));
    this.pendingWrites.set(file, data);
  }

  queueDelete(file: string): void {
    this.pendingWrites.delete(file);
    this.pendingUnlinks.add(file);
  }

  queueRmdir(dir: string): void {
    this.pendingRmdirs.add(dir);
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

  async writePending(): Promise<void> {
    if (this.pendingWrites.size === 0) return;
    const batch = [...this.pendingWrites];
    this.pendingWrites.clear();
    for (const [file, data] of batch) this.inflight.set(file, data);
    const dirs = new Set<string>();
    try {
      for (let i = 0; i < batch.length; i += WRITE_BATCH) {
        await Promise.all(
          batch.slice(i, i + WRITE_BATCH).map(async ([file, data]) => {
            const dir = path.dirname(file);
            if (!this.knownDirs.has(dir)) {
              await fsp.mkdir(dir, { recursive: true, mode: DIR_MODE });
              this.knownDirs.add(dir);
              dirs.add(this.root);
            }
            // No fdatasync per body: a process kill loses nothing the kernel has accepted, and a sync per captured
            // body was a large share of capture cost at 100 KB bodies. Power loss may truncate the newest bodies
            // (their entries survive, reported without a body); the journal and snapshots stay fully synced.
            await writeFileUnsynced(file, data);
            dirs.add(dir);
          }),
        );
      }
      for (const dir of dirs) await fsyncDir(dir);
    } catch (error) {
      // Requeue what has not been superseded meanwhile; rewriting a finished file is harmless.
      for (const [file, data] of batch) {
        if (!this.pendingWrites.has(file) && !this.pendingUnlinks.has(file)) this.pendingWrites.set(file, data);
      }
      this.knownDirs.clear();
      throw error;
    } finally {
      for (const [file, data] of batch) if (this.inflight.get(file) === data) this.inflight.delete(file);
    }
  }

  async removePending(): Promise<void> {
    const files = [...this.pendingUnlinks];
    this.pendingUnlinks.clear();
    for (const file of files) await unlinkIfPresent(file);
    const dirs = [...this.pendingRmdirs];
    this.pendingRmdirs.clear();
    for (const dir of dirs) {
      if (this.pendingWrites.size > 0 && [...this.pendingWrites.keys()].some((f) => path.dirname(f) === dir)) continue;
      this.knownDirs.delete(dir);
      try {
        await fsp.rmdir(dir);
      } catch (error) {
        if (!isCode(error, 'ENOENT', 'ENOTEMPTY', 'EEXIST')) throw error;
      }
    }
  }

  /**
   * After a crash, files may exist that no entry refers to (written, but their journal line was lost; or their
   * entry's deletion was journaled but the unlink never ran). Only then is the walk worth its cost.
   */
  async removeOrphans(expected: Set<string>): Promise<number> {
    let removed = 0;
    let sessions: string[];
    try {
      sessions = await fsp.readdir(this.root);
    } catch (error) {
      if (isCode(error, 'ENOENT')) return 0;
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
        if (expected.has(full) || this.pendingWrites.has(full)) kept++;
        else {
          await fsp.rm(full, { force: true, recursive: true });
          removed++;
        }
      }
      if (kept === 0) await fsp.rmdir(dir).catch(() => undefined);
    }
    return removed;
  }
}
