/**
 * Tags, notes and lost-body marks: what changes about an entry after it was recorded. They are few (people write
 * them, or a read finds a body gone), so they live in memory and in one small append-only file beside the session
 * logs, `annotations.jsonl`, instead of in the logs: a log segment can then be deleted as a whole without taking a
 * later annotation of an older entry with it, and a reopen reads them without scanning any log.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { FILE_MODE, errorMessage } from './fs-util.js';
import { mergePatch, type EntryPatch } from './stored-entry.js';

interface Line {
  s: string;
  e?: string;
  p?: EntryPatch;
  /** The session (no `e`) or these entries are gone. */
  gone?: string[] | true;
}

export class Annotations {
  private readonly bySession = new Map<string, Map<string, EntryPatch>>();
  private queued: string[] = [];
  private writing: Promise<void> | undefined;

  private constructor(private readonly file: string, private readonly warn: (m: string) => void) {}

  static async open(dir: string, warn: (m: string) => void): Promise<Annotations> {
    const store = new Annotations(path.join(dir, 'annotations.jsonl'), warn);
    let text = '';
    try {
      text = await fsp.readFile(store.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') warn(`annotations: cannot read ${store.file} (${errorMessage(error)}); starting without tags and notes`);
    }
    const lines = text.split('\n');
    let bad = 0;
    for (const raw of lines) {
      if (!raw) continue;
      try {
        store.apply(JSON.parse(raw) as Line);
      } catch {
        bad++;
      }
    }
    if (bad > 0) warn(`annotations: skipped ${bad} unreadable line(s) in ${store.file} (a torn write)`);
    // Folded into one line per live entry, so the file does not grow with every edit across restarts.
    if (lines.length > 1) await store.rewrite();
    return store;
  }

  get(sessionId: string, entryId: string): EntryPatch | undefined {
    return this.bySession.get(sessionId)?.get(entryId);
  }

  /** Every annotated entry of a session (for an index rebuild). */
  ofSession(sessionId: string): ReadonlyMap<string, EntryPatch> {
    return this.bySession.get(sessionId) ?? new Map();
  }

  set(sessionId: string, entryId: string, patch: EntryPatch): EntryPatch {
    const merged = this.apply({ s: sessionId, e: entryId, p: patch })!;
    this.queue({ s: sessionId, e: entryId, p: patch });
    return merged;
  }

  forgetEntries(sessionId: string, entryIds: readonly string[]): void {
    const map = this.bySession.get(sessionId);
    const known = map ? entryIds.filter((id) => map.has(id)) : [];
    if (known.length === 0) return;
    this.apply({ s: sessionId, gone: known });
    this.queue({ s: sessionId, gone: known });
  }

  forgetSession(sessionId: string): void {
    if (!this.bySession.has(sessionId)) return;
    this.bySession.delete(sessionId);
    this.queue({ s: sessionId, gone: true });
  }

  /** Appends what was queued and fsyncs it. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.queued.length === 0) return;
    const lines = this.queued;
    this.queued = [];
    this.writing = this.append(lines).finally(() => {
      this.writing = undefined;
    });
    await this.writing;
  }

  private async append(lines: string[]): Promise<void> {
    try {
      const handle = await fsp.open(this.file, 'a', FILE_MODE);
      try {
        await handle.writeFile(`${lines.join('\n')}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      // Kept for the next flush: an annotation is not given up because the disk is full for a while.
      this.queued = [...lines, ...this.queued];
      throw error;
    }
  }

  private queue(line: Line): void {
    this.queued.push(JSON.stringify(line));
  }

  private apply(line: Line): EntryPatch | undefined {
    if (line.gone === true) {
      this.bySession.delete(line.s);
      return undefined;
    }
    if (line.gone) {
      const map = this.bySession.get(line.s);
      for (const id of line.gone) map?.delete(id);
      return undefined;
    }
    if (!line.e || !line.p) throw new Error('not an annotation line');
    let map = this.bySession.get(line.s);
    if (!map) this.bySession.set(line.s, (map = new Map<string, EntryPatch>()));
    const merged = mergePatch(map.get(line.e), line.p);
    map.set(line.e, merged);
    return merged;
  }

  private async rewrite(): Promise<void> {
    const lines: string[] = [];
    for (const [s, map] of this.bySession) for (const [e, p] of map) lines.push(JSON.stringify({ s, e, p }));
    const tmp = `${this.file}.tmp`;
    const handle = await fsp.open(tmp, 'w', FILE_MODE);
    try {
      await handle.writeFile(lines.length > 0 ? `${lines.join('\n')}\n` : '');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, this.file);
  }
}
