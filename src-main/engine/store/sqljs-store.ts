import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { BodyInfo, Entry } from '../../../src-shared/model.js';
import { bodyLength, isWrittenBody, joinBody, type BodyBytes, type BodySide, type EntryBodies, type RecorderStore, type SessionRecord, type StoreOpenOptions, DEFAULT_INLINE_BODY_LIMIT } from './store-types.js';
import { BodyFiles } from './body-files.js';
import { EntryDb, type FileRef } from './entry-db.js';
import { DIR_MODE, errorMessage, fsyncDir } from './fs-util.js';
import { JournalWriter, listJournals, readJournal, type JournalRecord } from './journal.js';
import { loadSqlJs } from './sqljs-loader.js';
import {
  looksLikeSqlite, moveSnapshotAside, readSnapshot, removeStaleTemp, snapshotPath, writeSnapshot,
} from './snapshot.js';

const DEFAULTS = { inlineBodyLimit: DEFAULT_INLINE_BODY_LIMIT, journalFlushMs: 250, snapshotJournalBytes: 8 * 1024 * 1024 };
/** Meta key in a snapshot: the first journal generation the snapshot does not already contain. */
const JOURNAL_GEN_KEY = 'journal_gen';

function stripBody(body: BodyInfo): BodyInfo {
  if (body.text === undefined && body.base64 === undefined) return body;
  const { text: _text, base64: _base64, ...rest } = body;
  return rest;
}

/** Decoded bodies are derived data (and could be large): the store keeps raw bytes only. */
function stripEntry(entry: Entry): Entry {
  const req = stripBody(entry.request.body);
  const res = entry.response && stripBody(entry.response.body);
  if (req === entry.request.body && res === entry.response?.body) return entry;
  const stripped: Entry = { ...entry, request: { ...entry.request, body: req } };
  if (entry.response && res) stripped.response = { ...entry.response, body: res };
  return stripped;
}

/**
 * The history store: sql.js in memory for queries, made durable by an append-only journal (fsync'd every
 * journalFlushMs) plus an occasional full snapshot.
 *
 * Crash safety of the snapshot switch rests on journal generations: each snapshot records the first generation it
 * does not contain, the journal is rotated at the exact moment of export(), and older journals are deleted only
 * after the snapshot's rename is durable. open() replays every journal at or after the snapshot's generation.
 */
export class SqlJsStore implements RecorderStore {
  private readonly limit: number;
  private readonly snapshotBytes: number;
  private readonly timer: NodeJS.Timeout;
  /** Persist work (body files, journal appends, journal deletion) runs strictly one after another. */
  private tail: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private snapshotting: Promise<void> | undefined;
  private snapshotScheduled = false;
  private dirty = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private lastPersistError: string | undefined;

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
        await store.removeOrphanBodies();
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
    const json = JSON.stringify(stripEntry(entry));
    const seq = this.db.allocSeq();
    // Large bodies go to files (or are there already, written by a proxy worker); small ones are joined inline.
    const inFile = (b: EntryBodies['request']) => b !== undefined && (isWrittenBody(b) || bodyLength(b) > this.limit);
    const reqFile = inFile(bodies.request);
    const resFile = inFile(bodies.response);
    const req = bodies.request && !reqFile ? joinBody(bodies.request as BodyBytes) : undefined;
    const res = bodies.response && !resFile ? joinBody(bodies.response as BodyBytes) : undefined;
    this.db.putEntry({
      sessionId: entry.sessionId, id: entry.id, seq, startedAt: entry.startedAt, json,
      reqBody: req ?? null, resBody: res ?? null, reqFile, resFile,
    });
    if (bodies.request && reqFile && !isWrittenBody(bodies.request)) {
      this.bodies.queueWrite(this.bodies.pathOf(entry.sessionId, entry.id, 'request'), bodies.request);
    }
    if (bodies.response && resFile && !isWrittenBody(bodies.response)) {
      this.bodies.queueWrite(this.bodies.pathOf(entry.sessionId, entry.id, 'response'), bodies.response);
    }
    // Built by hand around the entry JSON we already have: stringifying the entry twice would double the cost.
    let line = `{"op":"insertEntry","seq":${seq},"entry":${json}`;
    if (req) line += `,"req":"${req.toString('base64')}"`;
    if (res) line += `,"res":"${res.toString('base64')}"`;
    if (reqFile) line += ',"reqFile":1';
    if (resFile) line += ',"resFile":1';
    this.append(`${line}}`);
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
    if (body.inFile) return this.bodies.read(this.bodies.pathOf(sessionId, entryId, side));
    return body.inline ? Buffer.from(body.inline.buffer, body.inline.byteOffset, body.inline.byteLength) : undefined;
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
      await this.snapshotNow();
    } catch (error) {
      failure = error;
      // No snapshot, but the journal alone is enough for open() to rebuild everything.
      await this.enqueue(() => this.persist()).catch(() => undefined);
    }
    await this.enqueue(() => this.journal.closeHandle()).catch(() => undefined);
    this.db.close();
    if (failure !== undefined) throw failure;
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
          reqFile: record.reqFile === 1, resFile: record.resFile === 1,
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
      default: {
        const never: never = record;
        throw new Error(`unknown journal record ${JSON.stringify(never)}`);
      }
    }
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

  private async persist(): Promise<void> {
    await this.bodies.writePending();
    await this.journal.flush();
    await this.bodies.removePending();
    this.lastPersistError = undefined;
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

  /** A full disk would otherwise repeat the same warning four times a second. */
  private report(error: unknown): void {
    const message = `history store: could not persist to ${this.dataDir}: ${errorMessage(error)} (will retry)`;
    if (message !== this.lastPersistError) this.warn(message);
    this.lastPersistError = message;
  }

  private async removeOrphanBodies(): Promise<void> {
    const expected = new Set<string>();
    for (const { sessionId, ref } of this.db.allFileRefs()) {
      if (ref.reqFile) expected.add(this.bodies.pathOf(sessionId, ref.entryId, 'request'));
      if (ref.resFile) expected.add(this.bodies.pathOf(sessionId, ref.entryId, 'response'));
    }
    const removed = await this.bodies.removeOrphans(expected);
    if (removed > 0) this.warn(`history store: removed ${removed} body file(s) left behind by an interrupted run`);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('history store is closed');
  }
}
