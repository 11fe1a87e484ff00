/**
 * The v1 history store, kept to read (and convert, migrate-v1.ts) data dirs written before the v2 store: sql.js in
 * memory for queries, made durable by an append-only journal (fsync'd every journalFlushMs) plus an occasional full
 * snapshot (sqljs-durability.ts). Journal records are applied by sqljs-journal-apply.ts, live and on replay; the
 * open after a crash is helped by sqljs-recovery.ts.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { BodyInfo, Entry, StorageStatus } from '../../../src-shared/model.js';
import { BodyFiles, bodyFileOwner } from './body-files.js';
import type { EntryDb } from './entry-db.js';
import { DIR_MODE, errorMessage, fsyncDir } from './fs-util.js';
import { JournalWriter, listJournals, readJournal, type JournalRecord } from './journal.js';
import { removeStaleTemp } from './snapshot.js';
import { JOURNAL_GEN_KEY, SqlJsDurability } from './sqljs-durability.js';
import { applyJournalRecord } from './sqljs-journal-apply.js';
import { loadSqlJs } from './sqljs-loader.js';
import { checkBodyFiles, openSnapshotDb } from './sqljs-recovery.js';
import { stripEntry } from './stored-entry.js';
import {
  bodyLength, isWrittenBody, joinBody, DEFAULT_INLINE_BODY_LIMIT, type BodyBytes, type BodySide, type EntryBodies, type LegacySyncStore,
  type SessionRecord, type StoreOpenOptions,
} from './store-types.js';

const DEFAULTS = {
  inlineBodyLimit: DEFAULT_INLINE_BODY_LIMIT,
  journalFlushMs: 250,
  snapshotJournalBytes: 8 * 1024 * 1024,
  maxPendingBytes: 128 * 1024 * 1024,
};

/** Where one side's captured bytes go: inline in the database, to a file (`file` = its length), or nowhere. */
interface PlacedBody {
  inline?: Buffer;
  file: number;
  queue?: BodyBytes;
  dropped?: string;
}

/** A copy of the entry whose dropped bodies say so. */
function flagDropped(entry: Entry, req: PlacedBody, res: PlacedBody): Entry {
  if (!req.dropped && !res.dropped) return entry;
  const flag = (info: BodyInfo, why: string | undefined): BodyInfo => (why ? { ...info, dropped: true, droppedReason: why } : info);
  const out: Entry = { ...entry, request: { ...entry.request, body: flag(entry.request.body, req.dropped) } };
  if (entry.response) out.response = { ...entry.response, body: flag(entry.response.body, res.dropped) };
  return out;
}

export class SqlJsStore implements LegacySyncStore {
  private readonly limit: number;
  private readonly maxPending: number;
  private readonly saver: SqlJsDurability;
  private droppedTotal = 0;
  private readonly droppedBySession = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    dataDir: string,
    private readonly db: EntryDb,
    journal: JournalWriter,
    private readonly bodies: BodyFiles,
    options: StoreOpenOptions,
    private readonly warn: (message: string) => void,
  ) {
    this.limit = options.inlineBodyLimit ?? DEFAULTS.inlineBodyLimit;
    this.maxPending = options.maxPendingBytes ?? DEFAULTS.maxPendingBytes;
    this.saver = new SqlJsDurability(dataDir, db, journal, bodies, options.snapshotJournalBytes ?? DEFAULTS.snapshotJournalBytes, warn);
    this.timer = setInterval(() => this.saver.backgroundFlush(), options.journalFlushMs ?? DEFAULTS.journalFlushMs);
    // A library timer must not keep the process alive; close() is what makes the tail durable.
    this.timer.unref();
  }

  static async open(options: StoreOpenOptions): Promise<SqlJsStore> {
    const warn = options.onWarning ?? ((message: string) => console.warn(message));
    const dataDir = path.resolve(options.dataDir);
    await fsp.mkdir(dataDir, { recursive: true, mode: DIR_MODE });
    const bodies = new BodyFiles(path.join(dataDir, 'bodies'));
    await fsp.mkdir(bodies.root, { recursive: true, mode: DIR_MODE });
    await fsyncDir(dataDir);
    await removeStaleTemp(dataDir);
    const { db, recovered } = await openSnapshotDb(await loadSqlJs(), dataDir, warn);
    // A snapshot written before generations existed, or none at all: every journal on disk is newer.
    const snapshotGen = Number(db.getMeta(JOURNAL_GEN_KEY) ?? 0);
    const journals = await listJournals(dataDir);
    const live = journals.filter((j) => j.gen >= snapshotGen);
    for (const stale of journals.filter((j) => j.gen < snapshotGen)) await fsp.rm(stale.file, { force: true });
    const nextGen = Math.max(snapshotGen, ...live.map((j) => j.gen + 1));
    const store = new SqlJsStore(dataDir, db, new JournalWriter(dataDir, nextGen), bodies, options, warn);
    try {
      await store.replay(live);
      if (live.length > 0 || recovered) {
        // We got here through a crash (or damage): sweep files nothing refers to, then fold the journals into a
        // fresh snapshot so the next open is fast and the journals do not pile up across crashes.
        const lost = await checkBodyFiles(db, bodies, warn);
        for (const record of lost) store.mutate(record);
        if (lost.length > 0) warn(`history store: ${lost.length} body file(s) were lost in an interrupted run; their entries say so`);
        store.saver.dirty = true;
        await store.saver.snapshotNow();
      }
    } catch (error) {
      clearInterval(store.timer);
      await store.saver.journal.closeHandle().catch(() => undefined);
      db.close();
      throw error;
    }
    return store;
  }

  /** open() replays every journal at or after the snapshot's generation. */
  private async replay(journals: readonly { file: string }[]): Promise<void> {
    for (const journal of journals) {
      for (const record of await readJournal(journal.file, this.warn)) {
        try {
          applyJournalRecord(this.db, this.bodies, record);
        } catch (error) {
          this.warn(`history journal ${journal.file}: could not replay a ${record.op} record (${errorMessage(error)})`);
        }
      }
    }
  }

  // ---- sessions ----

  upsertSession(record: SessionRecord): void {
    this.mutate({ op: 'upsertSession', record });
  }

  getSession(id: string): SessionRecord | undefined {
    this.assertOpen();
    const json = this.db.getSession(id);
    return json === undefined ? undefined : (JSON.parse(json) as SessionRecord);
  }

  listSessions(): SessionRecord[] {
    this.assertOpen();
    return this.db.listSessions().map((json) => JSON.parse(json) as SessionRecord);
  }

  deleteSession(id: string): void {
    this.mutate({ op: 'deleteSession', sessionId: id });
  }

  // ---- entries ----

  insertEntry(entry: Entry, bodies: EntryBodies): void {
    this.assertOpen();
    const req = this.placeBody(entry.sessionId, bodies.request);
    const res = this.placeBody(entry.sessionId, bodies.response);
    const json = JSON.stringify(stripEntry(flagDropped(entry, req, res)));
    const seq = this.db.allocSeq();
    this.db.putEntry({
      sessionId: entry.sessionId, id: entry.id, seq, startedAt: entry.startedAt, json,
      reqBody: req.inline ?? null, resBody: res.inline ?? null, reqFile: req.file, resFile: res.file,
    });
    // Queued before the journal line is appended: a persist cycle that takes the line also takes the file.
    if (req.queue) this.bodies.queueWrite(this.bodies.pathOf(entry.sessionId, entry.id, 'request'), req.queue);
    if (res.queue) this.bodies.queueWrite(this.bodies.pathOf(entry.sessionId, entry.id, 'response'), res.queue);
    // Built by hand around the entry JSON we already have: stringifying the entry twice would double the cost.
    let line = `{"op":"insertEntry","seq":${seq},"entry":${json}`;
    if (req.inline) line += `,"req":"${req.inline.toString('base64')}"`;
    if (res.inline) line += `,"res":"${res.inline.toString('base64')}"`;
    if (req.file) line += `,"reqFile":${req.file}`;
    if (res.file) line += `,"resFile":${res.file}`;
    this.saver.append(`${line}}`);
  }

  /**
   * Large bodies go to files (or are there already, written by a proxy worker); small ones are joined inline.
   * Bytes that would push what waits in memory for the disk past the budget are dropped: the entry is kept.
   */
  private placeBody(sessionId: string, body: EntryBodies['request']): PlacedBody {
    if (body === undefined) return { file: 0 };
    if (isWrittenBody(body)) return { file: Math.max(1, body.written) };
    const length = bodyLength(body);
    if (this.pendingBytes() + length > this.maxPending) {
      this.droppedTotal++;
      this.droppedBySession.set(sessionId, (this.droppedBySession.get(sessionId) ?? 0) + 1);
      const mib = Math.round(this.maxPending / 1024 / 1024);
      return {
        file: 0,
        dropped: this.saver.storage.state === 'failing'
          ? `not saved: storage is failing (${this.saver.storage.error ?? 'unknown error'})`
          : `not saved: more than ${mib} MiB were waiting for the disk`,
      };
    }
    if (length > this.limit) return { file: length, queue: body };
    return { file: 0, inline: joinBody(body) };
  }

  private pendingBytes(): number {
    return this.bodies.pendingBytes + this.saver.journal.pendingChars;
  }

  /** Whether what is captured reaches the disk; `droppedBodies` for one session when given. */
  storageStatus(sessionId?: string): StorageStatus {
    // Nothing waiting and no save under way: everything recorded until now is on disk.
    const { storage, persisting, journal } = this.saver;
    const idle = storage.state === 'ok' && !persisting && !journal.hasPending && !this.bodies.hasPending;
    return {
      ...storage,
      ...(idle ? { savedAt: new Date().toISOString() } : {}),
      droppedBodies: sessionId === undefined ? this.droppedTotal : (this.droppedBySession.get(sessionId) ?? 0),
      pendingBytes: this.pendingBytes(),
      maxPendingBytes: this.maxPending,
    };
  }

  insertEntries(items: ReadonlyArray<{ entry: Entry; bodies: EntryBodies }>): void {
    this.assertOpen();
    if (items.length === 1) return this.insertEntry(items[0]!.entry, items[0]!.bodies);
    this.db.transaction(() => {
      for (const { entry, bodies } of items) this.insertEntry(entry, bodies);
    });
  }

  updateEntry(sessionId: string, entryId: string, patch: { tags?: string[]; notes?: string }): Entry | undefined {
    this.assertOpen();
    const clean: { tags?: string[]; notes?: string } = {};
    if (patch.tags !== undefined) clean.tags = [...patch.tags];
    if (patch.notes !== undefined) clean.notes = patch.notes;
    return this.mutate({ op: 'updateEntry', sessionId, entryId, patch: clean });
  }

  deleteEntries(sessionId: string, entryIds: string[]): void {
    if (entryIds.length > 0) this.mutate({ op: 'deleteEntries', sessionId, entryIds: [...entryIds] });
  }

  getEntry(sessionId: string, entryId: string): Entry | undefined {
    this.assertOpen();
    const json = this.db.getEntryJson(sessionId, entryId);
    return json === undefined ? undefined : (JSON.parse(json) as Entry);
  }

  listEntries(sessionId: string, offset: number, limit: number): { entries: Entry[]; total: number } {
    this.assertOpen();
    const safeOffset = Number.isFinite(offset) ? Math.max(0, Math.floor(offset)) : 0;
    const safeLimit = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0;
    const entries = safeLimit === 0 ? [] : this.db.listEntryJson(sessionId, safeOffset, safeLimit);
    return { entries: entries.map((json) => JSON.parse(json) as Entry), total: this.db.count(sessionId) };
  }

  countEntries(sessionId: string): number {
    this.assertOpen();
    return this.db.count(sessionId);
  }

  oldestEntryIds(sessionId: string, count: number): string[] {
    this.assertOpen();
    return Number.isFinite(count) && count > 0 ? this.db.oldestIds(sessionId, Math.floor(count)) : [];
  }

  readBody(sessionId: string, entryId: string, side: BodySide): Buffer | undefined {
    this.assertOpen();
    const body = this.db.getBody(sessionId, entryId, side);
    if (!body) return undefined;
    if (body.inFile) return this.readBodyFile(sessionId, entryId, side, body.inFile);
    return body.inline ? Buffer.from(body.inline.buffer, body.inline.byteOffset, body.inline.byteLength) : undefined;
  }

  /** A body file that is missing or short is gone: the entry is marked so (journaled) and nothing is returned. */
  private readBodyFile(sessionId: string, entryId: string, side: BodySide, expected: number): Buffer | undefined {
    const file = this.bodies.pathOf(sessionId, entryId, side);
    const bytes = this.bodies.read(file);
    if (bytes && (expected <= 1 || bytes.length === expected)) return bytes;
    if (this.bodies.isUnsaved(file)) return bytes;
    this.mutate({ op: 'bodyState', sessionId, entryId, side, state: 'lost', reason: bytes ? 'body file is short' : 'body file is missing' });
    return undefined;
  }

  // ---- durability ----

  async flush(): Promise<void> {
    this.assertOpen();
    await this.saver.enqueue(() => this.saver.persist());
    await this.saver.snapshotting;
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    // From here on writes throw: anything accepted after the final snapshot's rotation would never be flushed.
    this.closed = true;
    this.saver.closed = true;
    clearInterval(this.timer);
    let failure: unknown;
    try {
      // A failed background snapshot left `dirty` set, so the final one below retries it.
      await this.saver.snapshotting?.catch(() => undefined);
      await this.saver.snapshotNow().catch(async (error: unknown) => {
        // Bodies that could not be written never will be by this process: say so on their entries, then retry.
        if (!this.dropUnsavedBodies(error)) throw error;
        await this.saver.snapshotNow();
      });
    } catch (error) {
      failure = error;
      // No snapshot, but the journal alone is enough for open() to rebuild everything.
      await this.saver.enqueue(() => this.saver.persist()).catch(() => undefined);
    }
    await this.saver.enqueue(() => this.saver.journal.closeHandle()).catch(() => undefined);
    this.db.close();
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error('the store did not close cleanly', { cause: failure });
  }

  /** Gives up on every body still waiting for the disk; false when there were none. */
  private dropUnsavedBodies(error: unknown): boolean {
    const files = this.bodies.unsavedFiles();
    for (const file of files) {
      const owner = bodyFileOwner(file);
      this.bodies.discard(file);
      if (!owner) continue;
      this.droppedTotal++;
      this.droppedBySession.set(owner.sessionId, (this.droppedBySession.get(owner.sessionId) ?? 0) + 1);
      const reason = `not saved: storage is failing (${errorMessage(error)})`;
      this.mutate({ op: 'bodyState', ...owner, state: 'dropped', reason });
    }
    return files.length > 0;
  }

  private mutate(record: JournalRecord): Entry | undefined {
    this.assertOpen();
    const result = applyJournalRecord(this.db, this.bodies, record);
    // updateEntry of a missing entry changed nothing: no need to journal it.
    if (record.op !== 'updateEntry' || result) this.saver.append(JSON.stringify(record));
    return result;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('history store is closed');
  }
}
