/** A real small tmpfs for full-disk tests, and a way to fill it. Mounting needs root (CI runs as root). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Mounts a tmpfs of `size` (mount's syntax, e.g. `1m`); when that is impossible, says why so the tests can skip. */
export function mountTmpfs(size: string, prefix: string): { dir: string } | { problem: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return { dir };
  } catch (error) {
    fs.rmdirSync(dir);
    return { problem: `cannot mount a tmpfs (${String((error as Error).message).split('\n')[0]})` };
  }
}

/** Writes `file` until the file system is full, down to its last small block (chunk sizes from large to small). */
export function fillDisk(file: string, chunkSizes: readonly number[]): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const size of chunkSizes) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          fs.writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Runs a command (a remount, say) and says whether it succeeded; busy mounts are retried by the caller. */
export function tryRun(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
