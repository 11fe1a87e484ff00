import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { BodyInfo, Entry, StorageStatus } from '../../../src-shared/model.js';
import { bodyLength, isWrittenBody, joinBody, type BodyBytes, type BodySide, type EntryBodies, type LegacySyncStore, type SessionRecord, type StoreOpenOptions, DEFAULT_INLINE_BODY_LIMIT } from './store-types.js';
import { BodyFiles, bodyFileOwner, type BodyBatch } from './body-files.js';
import { sideInfo, stripEntry } from './stored-entry.js';
import { EntryDb, type FileRef } from './entry-db.js';
import { DIR_MODE, errorMessage, fsyncDir } from './fs-util.js';
import { JournalWriter, listJournals, readJournal, type JournalRecord } from './journal.js';
import { loadSqlJs } from './sqljs-loader.js';
import {
  looksLikeSqlite, moveSnapshotAside, readSnapshot, removeStaleTemp, snapshotPath, writeSnapshot,
} from './snapshot.js';

const DEFAULTS = {
  inlineBodyLimit: DEFAULT_INLINE_BODY_LIMIT,
  journalFlushMs: 250,
  snapshotJournalBytes: 8 * 1024 * 1024,
  maxPendingBytes: 128 * 1024 * 1024,
};
/** Meta key in a snapshot: the first journal generation the snapshot does not already contain. */
const JOURNAL_GEN_KEY = 'journal_gen';

/** Where one side's captured bytes go: inline in the database, to a file (`file` = its length), or nowhere. */
interface PlacedBody {
  inline?: Buffer;
  file: number;
  queue?: BodyBytes;
  dropped?: string;
}

/** A journal's file reference: a length, or 1 (length unknown) from journals that kept none. */
function fileLength(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/** A copy of the entry whose dropped bodies say so. */
function flagDropped(entry: Entry, req: PlacedBody, res: PlacedBody): Entry {
  if (!req.dropped && !res.dropped) return entry;
  const flag = (info: BodyInfo, why: string | undefined): BodyInfo => (why ? { ...info, dropped: true, droppedReason: why } : info);
  const out: Entry = { ...entry, request: { ...entry.request, body: flag(entry.request.body, req.dropped) } };
  if (entry.response) out.response = { ...entry.response, body: flag(entry.response.body, res.dropped) };
  return out;
}

/**
 * The history store: sql.js in memory for queries, made durable by an append-only journal (fsync'd every
 * journalFlushMs) plus an occasional full snapshot.
 *
 * Crash safety of the snapshot switch rests on journal generations: each snapshot records the first generation it
 * does not contain, the journal is rotated at the exact moment of export(), and older journals are deleted only
 * after the snapshot's rename is durable. open() replays every journal at or after the snapshot's generation.
 */
export class SqlJsStore implements LegacySyncStore {
  private readonly limit: number;
  private readonly snapshotBytes: number;
  private readonly maxPending: number;
  private storage: Omit<StorageStatus, 'droppedBodies' | 'pendingBytes' | 'maxPendingBytes'> = { state: 'ok', since: new Date().toISOString() };
  private droppedTotal = 0;
  private readonly droppedBySession = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  /** Persist work (body files, journal appends, journal deletion) runs strictly one after another. */
  private tail: Promise<void> = Promise.resolve();
  private flushQueued = false;
  /** A save cycle is writing (its journal lines and body files are taken, not yet on disk). */
  private persisting = false;
  private snapshotting: Promise<void> | undefined;
  private snapshotScheduled = false;
  private dirty = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly dataDir: string,
    private readonly db: EntryDb,
    private readonly journal: JournalWriter,
    private readonly bodies: BodyFiles,
    options: StoreOpenOptions,
    private readonly warn: (message: string) => void,
  ) {
    this.limit = options.inlineBodyLimit ?? DEFAULTS.inlineBodyLimit;
    this.snapshotBytes = options.snapshotJournalBytes ?? DEFAULTS.snapshotJournalBytes;
    this.maxPending = options.maxPendingBytes ?? DEFAULTS.maxPendingBytes;
    this.timer = setInterval(() => this.backgroundFlush(), options.journalFlushMs ?? DEFAULTS.journalFlushMs);
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

    const SQL = await loadSqlJs();
    const bytes = await readSnapshot(dataDir);
    let db: EntryDb | undefined;
    let recovered = false;
    if (bytes) {
      try {
        if (!looksLikeSqlite(bytes)) throw new Error('not an SQLite database file');
        db = new EntryDb(SQL, bytes);
      } catch (error) {
        const aside = await moveSnapshotAside(dataDir);
        warn(
          `history database ${snapshotPath(dataDir)} is unreadable (${errorMessage(error)}); ` +
            `moved it to ${aside} and starting with an empty history`,
        );
        recovered = true;
      }
    }
    db ??= new EntryDb(SQL);
    // A snapshot written before generations existed, or none at all: every journal on disk is newer.
    const snapshotGen = Number(db.getMeta(JOURNAL_GEN_KEY) ?? 0);

    const journals = await listJournals(dataDir);
    const live = journals.filter((j) => j.gen >= snapshotGen);
    for (const stale of journals.filter((j) => j.gen < snapshotGen)) await fsp.rm(stale.file, { force: true });
    const nextGen = Math.max(snapshotGen, ...live.map((j) => j.gen + 1));
    const store = new SqlJsStore(dataDir, db, new JournalWriter(dataDir, nextGen), bodies, options, warn);
    try {
      for (const journal of live) {
        const records = await readJournal(journal.file, warn);
        for (const record of records) {
          try {
            store.apply(record);
          } catch (error) {
            warn(`history journal ${journal.file}: could not replay a ${record.op} record (${errorMessage(error)})`);
          }
        }
      }
      if (live.length > 0 || recovered) {
        // We got here through a crash (or damage): sweep files nothing refers to, then fold the journals into a
        // fresh snapshot so the next open is fast and the journals do not pile up across crashes.
        await store.checkBodyFiles();
        store.dirty = true;
        await store.snapshotNow();
      }
    } catch (error) {
      clearInterval(store.timer);
      await store.journal.closeHandle().catch(() => undefined);
      db.close();
      throw error;
    }
    return store;
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
    this.append(`${line}}`);
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
        dropped: this.storage.state === 'failing'
          ? `not saved: storage is failing (${this.storage.error ?? 'unknown error'})`
          : `not saved: more than ${mib} MiB were waiting for the disk`,
      };
    }
    if (length > this.limit) return { file: length, queue: body };
    return { file: 0, inline: joinBody(body) };
  }

  private pendingBytes(): number {
    return this.bodies.pendingBytes + this.journal.pendingChars;
  }

  /** Whether what is captured reaches the disk; `droppedBodies` for one session when given. */
  storageStatus(sessionId?: string): StorageStatus {
    // Nothing waiting and no save under way: everything recorded until now is on disk.
    const idle = this.storage.state === 'ok' && !this.persisting && !this.journal.hasPending && !this.bodies.hasPending;
    return {
      ...this.storage,
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
    await this.enqueue(() => this.persist());
    await this.snapshotting;
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    // From here on writes throw: anything accepted after the final snapshot's rotation would never be flushed.
    this.closed = true;
    clearInterval(this.timer);
    let failure: unknown;
    try {
      // A failed background snapshot left `dirty` set, so the final one below retries it.
      await this.snapshotting?.catch(() => undefined);
      await this.snapshotNow().catch(async (error: unknown) => {
        // Bodies that could not be written never will be by this process: say so on their entries, then retry.
        if (!this.dropUnsavedBodies(error)) throw error;
        await this.snapshotNow();
      });
    } catch (error) {
      failure = error;
      // No snapshot, but the journal alone is enough for open() to rebuild everything.
      await this.enqueue(() => this.persist()).catch(() => undefined);
    }
    await this.enqueue(() => this.journal.closeHandle()).catch(() => undefined);
    this.db.close();
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error('the store did not close cleanly', { cause: failure });
  }

  /** Applies one mutation to the database and the body-file queues. Shared by live writes and journal replay. */
  private apply(record: JournalRecord): Entry | undefined {
    switch (record.op) {
      case 'upsertSession':
        this.db.upsertSession(record.record.id, JSON.stringify(record.record));
        return undefined;
      case 'deleteSession':
        this.dropBodyFiles(record.sessionId, this.db.deleteSession(record.sessionId));
        this.bodies.queueRmdir(this.bodies.sessionDir(record.sessionId));
        return undefined;
      case 'insertEntry': {
        const { entry } = record;
        this.db.putEntry({
          sessionId: entry.sessionId, id: entry.id, seq: record.seq, startedAt: entry.startedAt,
          json: JSON.stringify(entry),
          reqBody: record.req === undefined ? null : Buffer.from(record.req, 'base64'),
          resBody: record.res === undefined ? null : Buffer.from(record.res, 'base64'),
          reqFile: fileLength(record.reqFile), resFile: fileLength(record.resFile),
        });
        return undefined;
      }
      case 'updateEntry': {
        const json = this.db.getEntryJson(record.sessionId, record.entryId);
        if (json === undefined) return undefined;
        const entry = JSON.parse(json) as Entry;
        if (record.patch.tags !== undefined) entry.tags = record.patch.tags;
        if (record.patch.notes !== undefined) entry.notes = record.patch.notes;
        this.db.setEntryJson(record.sessionId, record.entryId, JSON.stringify(entry));
        return entry;
      }
      case 'deleteEntries':
        this.dropBodyFiles(record.sessionId, this.db.deleteEntries(record.sessionId, record.entryIds));
        return undefined;
      case 'bodyState':
        return this.applyBodyState(record);
      default: {
        const never: never = record;
        throw new Error(`unknown journal record ${JSON.stringify(never)}`);
      }
    }
  }

  private applyBodyState(record: Extract<JournalRecord, { op: 'bodyState' }>): Entry | undefined {
    const { sessionId, entryId, side } = record;
    const json = this.db.getEntryJson(sessionId, entryId);
    if (json === undefined) return undefined;
    const entry = JSON.parse(json) as Entry;
    const info = sideInfo(entry, side);
    if (!info) return undefined;
    if (record.state === 'lost') {
      info.lost = true;
      entry.bodyLost = true;
    } else {
      info.dropped = true;
      info.droppedReason = record.reason;
    }
    // What is left of a short file is not the body: remove it along with the reference.
    if (this.db.getBody(sessionId, entryId, side)?.inFile) this.bodies.queueDelete(this.bodies.pathOf(sessionId, entryId, side));
    this.db.clearBody(sessionId, entryId, side);
    this.db.setEntryJson(sessionId, entryId, JSON.stringify(entry));
    return entry;
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
    const result = this.apply(record);
    // updateEntry of a missing entry changed nothing: no need to journal it.
    if (record.op !== 'updateEntry' || result) this.append(JSON.stringify(record));
    return result;
  }

  private append(line: string): void {
    this.journal.append(line);
    this.dirty = true;
    if (!this.snapshotScheduled && !this.snapshotting && this.journal.bytes >= this.snapshotBytes) {
      this.snapshotScheduled = true;
      // export() is O(database): never inside the caller's insert, always on a later turn of the event loop.
      setImmediate(() => {
        this.snapshotScheduled = false;
        if (!this.closed && !this.snapshotting) void this.snapshotNow().catch((error: unknown) => this.report(error));
      });
    }
  }

  private dropBodyFiles(sessionId: string, refs: FileRef[]): void {
    for (const ref of refs) {
      if (ref.reqFile) this.bodies.queueDelete(this.bodies.pathOf(sessionId, ref.entryId, 'request'));
      if (ref.resFile) this.bodies.queueDelete(this.bodies.pathOf(sessionId, ref.entryId, 'response'));
    }
  }

  /**
   * Captures the database synchronously (rotating the journal at the same instant), then writes it out while journal
   * appends carry on: a big snapshot must not stretch the window of writes a crash could lose. Async so that a
   * synchronous failure (export) becomes a rejection even when called from a timer.
   */
  private async snapshotNow(): Promise<void> {
    if (this.snapshotting) return this.snapshotting.then(() => this.snapshotNow());
    if (!this.dirty) return this.enqueue(() => this.persist());
    const gen = this.journal.rotate();
    this.db.setMeta(JOURNAL_GEN_KEY, String(gen));
    const bytes = this.db.export();
    this.dirty = false;
    const run = async (): Promise<void> => {
      // Body files of entries in the snapshot, and the older journal's tail, go to disk before the snapshot does.
      await this.enqueue(() => this.persist());
      await writeSnapshot(this.dataDir, bytes);
      await this.enqueue(async () => {
        await this.journal.closeHandle();
        for (const journal of await listJournals(this.dataDir)) {
          if (journal.gen < gen) await fsp.rm(journal.file, { force: true });
        }
      });
    };
    const snapshotting = run()
      .catch((error: unknown) => {
        // Its journals were kept (they are deleted only after a successful rename); try again later.
        this.dirty = true;
        throw error;
      })
      .finally(() => {
        if (this.snapshotting === snapshotting) this.snapshotting = undefined;
      });
    this.snapshotting = snapshotting;
    return snapshotting;
  }

  /**
   * One save cycle. The journal is marked and the body-file queues taken at the same instant, then the files are
   * written before the journal lines up to the mark: a line never reaches the disk before the body file it refers
   * to. A body file that cannot be written stays queued and does not hold back the journal (its entry is saved; a
   * crash before a later cycle writes the file leaves it lost, and says so on the next open).
   */
  private async persist(): Promise<void> {
    this.persisting = true;
    try {
      await this.persistOnce();
    } finally {
      this.persisting = false;
    }
  }

  private async persistOnce(): Promise<void> {
    const startedAt = new Date().toISOString();
    const mark = this.journal.mark();
    const batch = this.bodies.takeBatch();
    const writeFailures = await this.bodies.writeBatch(batch);
    try {
      await this.journal.flush(mark);
    } catch (error) {
      this.bodies.requeueRemovals(batch);
      this.noteFailure(error);
      throw error;
    }
    const removeFailures = await this.bodies.removeBatch(batch);
    const failure = this.batchFailure(batch, writeFailures, removeFailures);
    if (failure) {
      this.noteFailure(failure);
      throw failure;
    }
    this.noteSaved(startedAt);
  }

  private batchFailure(batch: BodyBatch, writes: { error: unknown }[], removals: unknown[]): Error | undefined {
    if (writes.length > 0) {
      return new Error(`could not write ${writes.length} of ${batch.writes.length} body file(s): ${errorMessage(writes[0]!.error)}`);
    }
    if (removals.length > 0) return new Error(`could not remove ${removals.length} body file(s): ${errorMessage(removals[0])}`);
    return undefined;
  }

  private noteFailure(error: unknown): void {
    const message = errorMessage(error);
    if (this.storage.state === 'ok') {
      this.warn(`history store: could not save to ${this.dataDir}: ${message} (capture goes on; will retry)`);
      this.storage = { ...this.storage, state: 'failing', since: new Date().toISOString() };
    }
    this.storage.error = message;
  }

  private noteSaved(startedAt: string): void {
    if (this.storage.state === 'failing') {
      this.warn(`history store: saving to ${this.dataDir} works again`);
      this.storage = { state: 'ok', since: new Date().toISOString() };
    }
    this.storage.savedAt = startedAt;
  }

  private backgroundFlush(): void {
    if (this.flushQueued || (!this.journal.hasPending && !this.bodies.hasPending)) return;
    this.flushQueued = true;
    this.enqueue(() => {
      this.flushQueued = false;
      return this.persist();
    }).catch((error: unknown) => this.report(error));
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Background failures are not lost: they show in storageStatus() (noteFailure warns once per episode). */
  private report(error: unknown): void {
    this.noteFailure(error);
  }

  /**
   * After a crash: removes body files nothing refers to, and marks the bodies whose file is missing or short as
   * lost, so no entry claims bytes it no longer has.
   */
  private async checkBodyFiles(): Promise<void> {
    const expected = new Map<string, { sessionId: string; entryId: string; side: BodySide; length: number }>();
    for (const { sessionId, ref } of this.db.allFileRefs()) {
      if (ref.reqFile) expected.set(this.bodies.pathOf(sessionId, ref.entryId, 'request'), { sessionId, entryId: ref.entryId, side: 'request', length: ref.reqFile });
      if (ref.resFile) expected.set(this.bodies.pathOf(sessionId, ref.entryId, 'response'), { sessionId, entryId: ref.entryId, side: 'response', length: ref.resFile });
    }
    const { removed, sizes } = await this.bodies.removeOrphans(new Set(expected.keys()));
    if (removed > 0) this.warn(`history store: removed ${removed} body file(s) left behind by an interrupted run`);
    let lost = 0;
    for (const [file, { length, ...owner }] of expected) {
      const size = sizes.get(file);
      if (size !== undefined && (length <= 1 || size === length)) continue;
      lost++;
      const reason = size === undefined ? 'body file is missing' : `body file is short (${size} of ${length} bytes)`;
      this.mutate({ op: 'bodyState', ...owner, state: 'lost', reason });
    }
    if (lost > 0) this.warn(`history store: ${lost} body file(s) were lost in an interrupted run; their entries say so`);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('history store is closed');
  }
}
