/**
 * Whole-file replacement that a crash cannot leave half-written: the new bytes go to a temporary file beside the
 * target (0600), are synced, and renamed over it; the directory is synced so that the rename itself survives power
 * loss. For the small files kept beside the traffic: saved configs, mocks.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { FILE_MODE, fsyncDir } from './store/fs-util.js';

function tempPrefix(file: string): string {
  return `.${path.basename(file)}.`;
}

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `${tempPrefix(file)}${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'w', FILE_MODE);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

/**
 * Remove the temporary files a crash between write and rename left beside `file` (each as big as the file). Run at
 * open: the data directory's lock means no other process is writing one. Synchronous: once, before any traffic.
 */
export function removeStaleTemps(file: string): void {
  const dir = path.dirname(file);
  const prefix = tempPrefix(file);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (name.startsWith(prefix) && name.endsWith('.tmp')) rmSync(path.join(dir, name), { force: true });
}
