import fs, { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/** Captured traffic holds credentials and cookies: only the owner may read it. */
export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/**
 * A rename or a new file is only durable once its directory entry is; Linux needs an fsync of the directory for that.
 * Some platforms (Windows) cannot open a directory for fsync; there rename durability is the OS's business.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!isCode(error, 'EISDIR', 'EPERM', 'EACCES', 'EINVAL')) throw error;
  } finally {
    await handle?.close();
  }
}

/** Write a whole file and make its bytes durable (the caller fsyncs the directory when the name is new). */
export async function writeFileSynced(file: string, data: Uint8Array | readonly Uint8Array[], sync = true): Promise<void> {
  const handle = await fsp.open(file, 'w', FILE_MODE);
  try {
    if (data instanceof Uint8Array) await handle.writeFile(data);
    else await writeAll(handle, data);
    if (sync) await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * Write a whole file without making it durable (captured bodies: see BodyFiles.writePending). The callback API
 * with a plain descriptor: at a thousand bodies a second, FileHandle objects and their promises were a visible
 * share of capture cost.
 */
export function writeFileUnsynced(file: string, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.open(file, 'w', FILE_MODE, (openError, fd) => {
      if (openError) return reject(openError);
      const done = (error?: Error | null) =>
        fs.close(fd, (closeError) => {
          const failure = error ?? closeError;
          if (failure) reject(failure);
          else resolve();
        });
      let pending = (data instanceof Uint8Array ? [data] : data).filter((c) => c.length > 0);
      const next = (): void => {
        if (pending.length === 0) return done();
        fs.writev(fd, pending as NodeJS.ArrayBufferView[], (writeError, written) => {
          if (writeError) return done(writeError);
          pending = unwritten(pending, written);
          next();
        });
      };
      next();
    });
  });
}

/** Remove a file; one that is already gone is fine. */
export function unlinkIfPresent(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.unlink(file, (error) => (error && error.code !== 'ENOENT' ? reject(error) : resolve()));
  });
}

/** writev may write less than asked (large or many buffers): continue until everything is on disk. */
async function writeAll(handle: fsp.FileHandle, chunks: readonly Uint8Array[]): Promise<void> {
  let pending = chunks.filter((c) => c.length > 0);
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending);
    pending = unwritten(pending, bytesWritten);
  }
}

/** What is left of `chunks` after a (possibly short) vectored write of `written` bytes. */
function unwritten(chunks: readonly Uint8Array[], written: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  for (const chunk of chunks) {
    if (written >= chunk.length) written -= chunk.length;
    else {
      rest.push(written > 0 ? chunk.subarray(written) : chunk);
      written = 0;
    }
  }
  return rest;
}

export function isCode(error: unknown, ...codes: string[]): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && codes.includes(String(error.code));
}

/**
 * Ids become file names. The engine makes safe ids, but a store must not let an id like `../../x` escape the
 * bodies folder, so anything outside a conservative alphabet is hex-encoded (deterministically, so the same id
 * always maps to the same name).
 */
export function safeFileName(id: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(id)) return id;
  return `~${Buffer.from(id, 'utf8').toString('hex')}`;
}

/** The id safeFileName was given. */
export function unsafeFileName(name: string): string {
  return name.startsWith('~') ? Buffer.from(name.slice(1), 'hex').toString('utf8') : name;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function joinSafe(root: string, ...ids: string[]): string {
  return path.join(root, ...ids.map(safeFileName));
}
