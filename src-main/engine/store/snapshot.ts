import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { fsyncDir, isCode, writeFileSynced } from './fs-util.js';

export const SNAPSHOT_NAME = 'recorder.db';
const TMP_NAME = `${SNAPSHOT_NAME}.tmp`;
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function snapshotPath(dataDir: string): string {
  return path.join(dataDir, SNAPSHOT_NAME);
}

/** The bytes of the last snapshot, or undefined when there is none yet. */
export async function readSnapshot(dataDir: string): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(snapshotPath(dataDir));
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/**
 * sql.js accepts any bytes at construction and only fails on the first query (and treats an empty buffer as a new
 * database), so check the header ourselves first. A zero-length file is never written by us, so it is damage too.
 */
export function looksLikeSqlite(bytes: Uint8Array): boolean {
  return bytes.length >= 512 && Buffer.from(bytes.buffer, bytes.byteOffset, 16).equals(SQLITE_MAGIC);
}

/**
 * Moves a damaged database out of the way without ever overwriting anything: the user's data may still be
 * recoverable with sqlite tools. The timestamp uses '-' for ':' so the name is valid on Windows too.
 */
export async function moveSnapshotAside(dataDir: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/:/g, '-');
  const base = `${snapshotPath(dataDir)}.corrupt-${stamp}`;
  for (let attempt = 0; ; attempt++) {
    const target = attempt === 0 ? base : `${base}-${attempt}`;
    try {
      // link + unlink rather than rename: rename silently replaces an existing target.
      await fsp.link(snapshotPath(dataDir), target);
    } catch (error) {
      if (isCode(error, 'EEXIST')) continue;
      if (isCode(error, 'EPERM', 'ENOTSUP', 'EXDEV', 'ENOSYS')) {
        await fsp.rename(snapshotPath(dataDir), target);
        await fsyncDir(dataDir);
        return target;
      }
      throw error;
    }
    await fsp.unlink(snapshotPath(dataDir));
    await fsyncDir(dataDir);
    return target;
  }
}

/** Atomic replace: a crash leaves either the old snapshot or the new one, never a mix. */
export async function writeSnapshot(dataDir: string, bytes: Uint8Array): Promise<void> {
  const tmp = path.join(dataDir, TMP_NAME);
  await writeFileSynced(tmp, bytes);
  await fsp.rename(tmp, snapshotPath(dataDir));
  await fsyncDir(dataDir);
}

/** A temp file left by a crash mid-snapshot is garbage: the real snapshot was never replaced. */
export async function removeStaleTemp(dataDir: string): Promise<void> {
  await fsp.rm(path.join(dataDir, TMP_NAME), { force: true });
}
