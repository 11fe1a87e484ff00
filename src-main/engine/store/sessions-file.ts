/**
 * `sessions.json`: every session's record, rewritten whole (tmp, fsync, rename) shortly after a change. Sessions
 * are few and change rarely. Each session log also carries its record (in every segment's header), so a lost or
 * damaged sessions.json is rebuilt from the logs.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { FILE_MODE, errorMessage, fsyncDir } from './fs-util.js';
import type { SessionRecord } from './store-types.js';

const FILE = 'sessions.json';

export async function readSessionsFile(dir: string, warn: (m: string) => void): Promise<SessionRecord[] | undefined> {
  const file = path.join(dir, FILE);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    warn(`history store: cannot read ${file} (${errorMessage(error)}); sessions are read from their logs`);
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as { sessions?: unknown };
    if (!Array.isArray(parsed.sessions)) throw new Error('no "sessions" list');
    return parsed.sessions as SessionRecord[];
  } catch (error) {
    warn(`history store: ${file} is damaged (${errorMessage(error)}); sessions are read from their logs`);
    return undefined;
  }
}

/** Writes are coalesced: one at a time, and the latest state wins. */
export class SessionsFile {
  private dirty = false;
  private running: Promise<void> | undefined;

  constructor(private readonly dir: string, private readonly snapshot: () => SessionRecord[]) {}

  markDirty(): void {
    this.dirty = true;
  }

  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (!this.dirty) return;
    this.dirty = false;
    this.running = this.write(this.snapshot()).catch((error: unknown) => {
      this.dirty = true;
      throw error;
    }).finally(() => {
      this.running = undefined;
    });
    await this.running;
  }

  private async write(sessions: SessionRecord[]): Promise<void> {
    const file = path.join(this.dir, FILE);
    const tmp = `${file}.tmp`;
    const handle = await fsp.open(tmp, 'w', FILE_MODE);
    try {
      await handle.writeFile(JSON.stringify({ version: 2, sessions }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, file);
    await fsyncDir(this.dir);
  }
}
