import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Entry } from '../../../src-shared/model.js';
import type { SessionRecord } from './store-types.js';
import { FILE_MODE, errorMessage, fsyncDir } from './fs-util.js';

/**
 * One line of the journal. Each is a whole mutation, so replaying them in order over the last snapshot rebuilds the
 * database. Replays must be idempotent: a crash between a snapshot's rename and the deletion of the journals it covers
 * is handled by generations, but a failed-then-retried append may write a record twice.
 */
export type JournalRecord =
  | { op: 'upsertSession'; record: SessionRecord }
  | { op: 'deleteSession'; sessionId: string }
  | {
      op: 'insertEntry';
      seq: number;
      entry: Entry;
      /** Inline bodies, base64. */
      req?: string;
      res?: string;
      /** The body lives in a file under bodies/: its length in bytes (1 in journals written before lengths were kept). */
      reqFile?: number;
      resFile?: number;
    }
  | { op: 'updateEntry'; sessionId: string; entryId: string; patch: { tags?: string[]; notes?: string } }
  | { op: 'deleteEntries'; sessionId: string; entryIds: string[] }
  /** A body that will never be on disk: not saved (`dropped`), or saved and then found missing (`lost`). */
  | { op: 'bodyState'; sessionId: string; entryId: string; side: 'request' | 'response'; state: 'dropped' | 'lost'; reason: string };

const JOURNAL_RE = /^journal-(\d+)\.jsonl$/;

export function journalPath(dataDir: string, gen: number): string {
  return path.join(dataDir, `journal-${String(gen).padStart(10, '0')}.jsonl`);
}

export async function listJournals(dataDir: string): Promise<{ gen: number; file: string }[]> {
  const names = await fsp.readdir(dataDir);
  const found: { gen: number; file: string }[] = [];
  for (const name of names) {
    const match = JOURNAL_RE.exec(name);
    if (match?.[1] !== undefined) found.push({ gen: Number(match[1]), file: path.join(dataDir, name) });
  }
  return found.sort((a, b) => a.gen - b.gen);
}

function isRecord(value: unknown): value is JournalRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  const str = (v: unknown): boolean => typeof v === 'string';
  switch (r.op) {
    case 'upsertSession':
      return typeof r.record === 'object' && r.record !== null && str((r.record as { id?: unknown }).id);
    case 'deleteSession':
      return str(r.sessionId);
    case 'insertEntry': {
      const e = r.entry as Partial<Entry> | null;
      return typeof r.seq === 'number' && typeof e === 'object' && e !== null && str(e.id) && str(e.sessionId);
    }
    case 'updateEntry':
      return str(r.sessionId) && str(r.entryId) && typeof r.patch === 'object' && r.patch !== null;
    case 'deleteEntries':
      return str(r.sessionId) && Array.isArray(r.entryIds);
    case 'bodyState':
      return str(r.sessionId) && str(r.entryId) && (r.side === 'request' || r.side === 'response') && str(r.reason);
    default:
      return false;
  }
}

/**
 * Reads one journal file. A crash mid-append leaves a torn last line, which is expected and dropped; a bad line in
 * the middle means damage we cannot explain, so it is skipped loudly and the rest is kept.
 */
export async function readJournal(file: string, warn: (message: string) => void): Promise<JournalRecord[]> {
  const text = await fsp.readFile(file, 'utf8');
  const lines = text.split('\n');
  const records: JournalRecord[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const isLast = index === lines.length - 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      warn(
        isLast
          ? `history journal ${file}: ignoring a torn last line (${line.length} bytes), most likely cut by a crash`
          : `history journal ${file}: skipping corrupt line ${index + 1}`,
      );
      return;
    }
    if (isRecord(parsed)) records.push(parsed);
    else warn(`history journal ${file}: skipping unrecognised record on line ${index + 1}`);
  });
  return records;
}

interface Segment {
  gen: number;
  chunks: string[];
  /** Number (in append order, over the writer's lifetime) of chunks[0]. */
  first: number;
}

/**
 * Buffers journal lines in memory and appends them on flush(). Lines are grouped by generation: after rotate(), new
 * lines go to the next file while the previous generation's tail is still written first, so files stay in order.
 * flush() calls must not overlap; the store serialises them.
 */
export class JournalWriter {
  private segments: Segment[];
  /** The generation whose file name has been made durable (its directory fsync'd). */
  private syncedGen = -1;
  /** After a failed append the file may end mid-line; a newline first keeps the next record on a line of its own. */
  private needsNewline = false;
  /** Characters appended to the current generation, including those already flushed. */
  private currentBytes = 0;
  /** Lines appended so far; a mark is this count at some moment. */
  private appended = 0;
  private unflushedChars = 0;

  constructor(
    private readonly dataDir: string,
    gen: number,
  ) {
    this.segments = [{ gen, chunks: [], first: 0 }];
  }

  get gen(): number {
    return this.current.gen;
  }

  get bytes(): number {
    return this.currentBytes;
  }

  /** Characters waiting in memory for the disk (about their bytes: journal lines are mostly ASCII). */
  get pendingChars(): number {
    return this.unflushedChars;
  }

  get hasPending(): boolean {
    return this.segments.some((s) => s.chunks.length > 0);
  }

  private get current(): Segment {
    return this.segments[this.segments.length - 1] as Segment;
  }

  append(line: string): void {
    this.current.chunks.push(line);
    this.appended++;
    this.currentBytes += line.length + 1;
    this.unflushedChars += line.length + 1;
  }

  /** Everything appended up to now; flush(mark) writes exactly that much. */
  mark(): number {
    return this.appended;
  }

  /** Starts the next generation; returns its number. */
  rotate(): number {
    const gen = this.current.gen + 1;
    this.segments.push({ gen, chunks: [], first: this.appended });
    this.currentBytes = 0;
    return gen;
  }

  /**
   * Appends the lines before `upTo` (default: all). Lines appended later stay buffered: the store marks the journal
   * before writing the body files those lines may refer to, so no line reaches the disk before its body file.
   */
  async flush(upTo = this.appended): Promise<void> {
    while (this.segments.length > 0) {
      const segment = this.segments[0] as Segment;
      const count = Math.min(segment.chunks.length, upTo - segment.first);
      if (count > 0) {
        const chunks = segment.chunks.slice(0, count);
        try {
          await this.write(segment.gen, chunks);
        } catch (error) {
          this.needsNewline = true;
          throw new Error(`appending to ${journalPath(this.dataDir, segment.gen)}: ${errorMessage(error)}`);
        }
        segment.chunks.splice(0, count);
        segment.first += count;
        for (const chunk of chunks) this.unflushedChars -= chunk.length + 1;
      }
      if (segment.chunks.length > 0 || this.segments.length === 1) return;
      this.segments.shift();
    }
  }

  /**
   * Opens the file for each append and closes it after the sync: a descriptor held open for writing would keep
   * the file system from being remounted read-only, or an administrator from freeing a full disk's space.
   */
  private async write(gen: number, chunks: string[]): Promise<void> {
    const handle = await fsp.open(journalPath(this.dataDir, gen), 'a', FILE_MODE);
    try {
      if (this.syncedGen !== gen) {
        // The file is new (generations only grow): its name must survive a crash along with its content.
        await fsyncDir(this.dataDir);
        this.syncedGen = gen;
      }
      const text = (this.needsNewline ? '\n' : '') + chunks.join('\n') + '\n';
      await handle.appendFile(text, 'utf8');
      await handle.datasync();
      this.needsNewline = false;
    } finally {
      await handle.close();
    }
  }

  /** Kept for the store's shutdown sequence: there is no descriptor left open between appends. */
  closeHandle(): Promise<void> {
    this.syncedGen = -1;
    return Promise.resolve();
  }
}
