/**
 * The history store (v2). The record of truth is one append-only log per session (segments/segment-log.ts); sql.js
 * in a worker thread is only the index (index/index-client.ts) and can be rebuilt from the logs; tags and notes
 * live in annotations.jsonl; sessions in sessions.json. Nothing here blocks the event loop for long: appends are
 * synchronous but O(record), writes and reads are asynchronous, and every query runs in the worker.
 * See README.md in this folder for the layout and the guarantees.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Entry, StorageStatus, StorageUsage } from '../../../src-shared/model.js';
import { bodyFilePath } from './body-files.js';
import { Annotations } from './annotations.js';
import { DIR_MODE, errorMessage, fsyncDir, safeFileName, unsafeFileName } from './fs-util.js';
import { openIndex } from './index/index-client.js';
import type { IndexClient, IndexedRef, IndexRow } from './index/index-types.js';
import { decodeBodyPayload, encodeBodyPayload } from './segments/record-codec.js';
import { openSessionLog } from './segments/segment-log.js';
import { RecordType, type LogRecord, type RecordLocation, type SessionLog } from './segments/segment-types.js';
import { SessionsFile, readSessionsFile } from './sessions-file.js';
import { migrateV1, moveV1Aside, v1State } from './migrate-v1.js';
import { indexRowOf, overlay, sideInfo, stripEntry, type BodyRef, type EntryPatch, type RowPlacement, type StoredEntry } from './stored-entry.js';
import {
  bodyLength, isWrittenBody, type BodySide, type EntryBodies, type EvictionNotice, type EvictionReason,
  type RecorderStore, type SessionRecord,
} from './store-types.js';

export interface SegmentStoreOptions {
  dataDir: string;
  /** Entries kept per session, oldest evicted first. Default: no per-session limit. */
  maxEntriesPerSession?: number;
  /** Entries kept in all sessions together. Default 1,000,000. */
  maxTotalEntries?: number;
  /** Bytes of logs and body files in all sessions together. Default 2 GiB. */
  maxStoreBytes?: number;
  /** Memory for records waiting for the disk; bodies past it are dropped (flagged), entries past twice it too. Default 128 MiB. */
  maxPendingBytes?: number;
  /** How often queued records are written and fsync'd (the window a kill -9 can lose). Default 250 ms. */
  flushMs?: number;
  /** Size of one log segment. Default: 32 MiB, or a 16th of maxStoreBytes when smaller (eviction frees whole segments). */
  segmentBytes?: number;
  onWarning?: (message: string) => void;
  onEvicted?: (notice: EvictionNotice) => void;
}

export const STORE_DEFAULTS = {
  maxTotalEntries: 1_000_000,
  maxStoreBytes: 2 * 1024 * 1024 * 1024,
  maxPendingBytes: 128 * 1024 * 1024,
  flushMs: 250,
};

const SESSIONS_DIR = 'sessions';
const INDEX_DIR = 'index';
/** Written once a data dir holds a v2 store (after a migration finished, or on first use). */
export const STORE_VERSION_FILE = 'store-version';
/**
 * Parsed entries kept in memory: recently read ones. New entries are not put here: at thousands per second each
 * would live past a few young-generation collections and be copied into the old one, the main thread's costliest
 * GC work; a read of one still in the write queue is answered from memory by the log anyway.
 */
const CACHE_ENTRIES = 1024;
const INDEX_BATCH = 512;
/** How soon after an insert the budgets are enforced (see enforceSoon). */
const ENFORCE_DELAY_MS = 100;
/** Read ahead of a page's first entry record: its bodies were appended just before it. */
const PAGE_READ_AHEAD = 64 * 1024;
/** Counts are checked against the index every this many ticks (~5 s). */
const RECONCILE_TICKS = 20;

/**
 * Past a large entry budget, a thousandth of it more is evicted at once: eviction then runs every few hundred
 * milliseconds at full speed, not on every batch (each pass is several index round trips and a transaction of its
 * own). Small budgets are kept exactly.
 */
export function evictionSlack(limit: number): number {
  return Number.isFinite(limit) && limit >= 10_000 ? Math.floor(limit / 1000) : 0;
}

interface Item {
  entry: Entry;
  bodies: EntryBodies;
}

/** The header every segment starts with (a Session record): the session, and the numbering carried across. */
interface SegmentHeader {
  record: SessionRecord;
  lastSeq: number;
  evictedThrough: number;
}

class SessionState {
  log!: SessionLog;
  seq = 0;
  count = 0;
  evictedThrough = 0;
  externalBytes = 0;
  /** Entries with body files a proxy worker wrote (few: only large bodies), and their bytes. */
  readonly external = new Map<string, number>();
  droppedBodies = 0;
  headerSegment = -1;
  /** Rows appended to the log, not yet posted to the index (posted in batches on the next tick). */
  rows: IndexRow[] = [];
  constructor(readonly id: string, readonly dir: string) {}
}

function keyOf(sessionId: string, entryId: string): string {
  return `${sessionId}\u0000${entryId}`;
}

export class SegmentStore implements RecorderStore {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly states = new Map<string, SessionState>();
  private readonly cache = new Map<string, StoredEntry>();
  /** Logs of new sessions being opened, and what was inserted for them meanwhile (appended, in order, once open). */
  private readonly opening = new Map<string, Promise<void>>();
  private readonly waiting = new Map<string, Item[]>();
  private readonly options: Required<Pick<SegmentStoreOptions, 'maxTotalEntries' | 'maxStoreBytes' | 'maxPendingBytes' | 'flushMs'>> & SegmentStoreOptions;
  private readonly warn: (m: string) => void;
  private readonly sessionsFile: SessionsFile;
  private readonly timer: NodeJS.Timeout;
  private readonly failures = new Map<string, string>();
  private failingSince = new Date().toISOString();
  private okSince = new Date().toISOString();
  private readonly marks: { at: string; ends: Map<string, { segment: number; offset: number }> }[] = [];
  private droppedEntries = 0;
  private evictedByBudget = 0;
  private postScheduled = false;
  private enforcing: Promise<void> | undefined;
  private recovering: Promise<void> | undefined;
  private enforceAgain = false;
  private enforceTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private lastSavedAt: string | undefined;
  private ticks = 0;

  private constructor(
    private readonly dataDir: string,
    private index: IndexClient,
    private readonly annotations: Annotations,
    options: SegmentStoreOptions,
  ) {
    this.options = { ...STORE_DEFAULTS, ...options };
    this.warn = options.onWarning ?? ((m) => console.warn(m));
    this.sessionsFile = new SessionsFile(dataDir, () => [...this.sessions.values()]);
    this.timer = setInterval(() => this.tick(), this.options.flushMs);
    this.timer.unref();
  }

  /** Opens the store in `options.dataDir`, converting a v1 data dir first (once). */
  static async open(options: SegmentStoreOptions): Promise<SegmentStore> {
    const warn = options.onWarning ?? ((m: string) => console.warn(m));
    const dataDir = path.resolve(options.dataDir);
    await fsp.mkdir(dataDir, { recursive: true, mode: DIR_MODE });
    const markDone = () => fsp.writeFile(path.join(dataDir, STORE_VERSION_FILE), '2\n', { mode: 0o600 });
    const v1 = await v1State(dataDir, STORE_VERSION_FILE);
    if (v1 === 'pending') {
      // Nothing may be evicted while converting: the old data was within its own limits, and is kept whole.
      const unbounded = { ...options, dataDir, maxTotalEntries: Infinity, maxStoreBytes: Infinity, onWarning: warn };
      delete unbounded.maxEntriesPerSession;
      delete unbounded.onEvicted;
      await migrateV1(dataDir, () => SegmentStore.openExisting(unbounded), markDone, warn);
    } else if (v1 === 'done') {
      await moveV1Aside(dataDir);
    }
    const store = await SegmentStore.openExisting({ ...options, dataDir, onWarning: warn });
    await markDone();
    return store;
  }

  private static async openExisting(options: SegmentStoreOptions): Promise<SegmentStore> {
    const warn = options.onWarning ?? ((m: string) => console.warn(m));
    const dataDir = path.resolve(options.dataDir);
    await fsp.mkdir(path.join(dataDir, SESSIONS_DIR), { recursive: true, mode: DIR_MODE });
    await fsp.mkdir(path.join(dataDir, INDEX_DIR), { recursive: true, mode: DIR_MODE });
    await fsp.rm(path.join(dataDir, 'sessions.json.tmp'), { force: true });
    // Until the store exists, index errors are only reported; then the store handles them (a dead worker is restarted).
    let onIndexError = (e: Error) => warn(`history index: ${e.message}`);
    const { client, opened } = await openIndex({ dir: path.join(dataDir, INDEX_DIR), onError: (e) => onIndexError(e) });
    const annotations = await Annotations.open(dataDir, warn);
    const store = new SegmentStore(dataDir, client, annotations, { ...options, onWarning: warn });
    onIndexError = (e) => store.indexError(e);
    try {
      for (const record of (await readSessionsFile(dataDir, warn)) ?? []) store.sessions.set(record.id, record);
      if (opened.rebuilt && opened.rebuilt !== 'missing') warn(`history index: rebuilding from the session logs (${opened.rebuilt})`);
      await store.openLogs(opened.watermarks, opened.rebuilt !== undefined);
    } catch (error) {
      clearInterval(store.timer);
      await client.close().catch(() => undefined);
      throw error;
    }
    return store;
  }

  // ---- open: logs, replay into the index ----

  private async openLogs(watermarks: Record<string, { segment: number; offset: number }>, rebuild: boolean): Promise<void> {
    const root = path.join(this.dataDir, SESSIONS_DIR);
    for (const name of await fsp.readdir(root)) {
      const id = unsafeFileName(name);
      const state = await this.openState(id);
      const header = await this.lastHeader(state);
      if (!this.sessions.has(id)) {
        if (!header) {
          this.warn(`history store: ${path.join(root, name)} belongs to no session; removing it`);
          await state.log.close();
          await fsp.rm(state.dir, { recursive: true, force: true });
          this.states.delete(id);
          continue;
        }
        this.warn(`history store: session ${id} recovered from its log`);
        this.sessions.set(id, header.record);
        this.sessionsFile.markDirty();
      }
      const from = rebuild ? undefined : watermarks[id];
      await this.replay(state, from);
      const { total } = await this.index.list(id, 0, 0);
      state.count = total;
      state.seq = Math.max(state.seq, (total > 0 ? await this.index.nthSeq(id, total) : 0) ?? 0, state.evictedThrough);
      await this.loadExternal(state);
    }
    // A session whose log is gone has no entries, but the session itself is kept.
    for (const id of this.sessions.keys()) if (!this.states.has(id)) await this.openState(id);
    await this.sessionsFile.flush();
  }

  private async openState(id: string): Promise<SessionState> {
    const dir = path.join(this.dataDir, SESSIONS_DIR, safeFileName(id));
    const state = new SessionState(id, dir);
    state.log = await openSessionLog({
      dir,
      segmentBytes: this.options.segmentBytes ?? Math.max(1024 * 1024, Math.min(32 * 1024 * 1024, Math.floor(this.options.maxStoreBytes / 16))),
      flushMs: this.options.flushMs,
      onWarning: this.warn,
      onWriteState: (error) => this.noteWriteState(`log:${id}`, error),
    });
    this.states.set(id, state);
    return state;
  }

  /** The newest segment's header (and the highest seq in that segment), for numbering and recovery. */
  private async lastHeader(state: SessionState): Promise<SegmentHeader | undefined> {
    let header: SegmentHeader | undefined;
    for await (const record of state.log.scan({ segment: state.log.activeSegment, offset: 0 })) {
      if (record.type === RecordType.Session) header = JSON.parse(record.payload.toString('utf8')) as SegmentHeader;
      else if (record.type === RecordType.Entry) state.seq = Math.max(state.seq, (JSON.parse(record.payload.toString('utf8')) as StoredEntry).seq);
      else if (record.type === RecordType.Evicted) state.evictedThrough = Math.max(state.evictedThrough, (JSON.parse(record.payload.toString('utf8')) as { throughSeq: number }).throughSeq);
    }
    if (header) {
      state.seq = Math.max(state.seq, header.lastSeq);
      state.evictedThrough = Math.max(state.evictedThrough, header.evictedThrough);
    }
    return header;
  }

  /** Feeds every log record after `from` to the index, as a live insert would have. */
  private async replay(state: SessionState, from: { segment: number; offset: number } | undefined): Promise<void> {
    const bodies = new Map<string, Buffer>();
    let rows: IndexRow[] = [];
    let replayed = 0;
    const post = (through: { segment: number; offset: number }) => {
      if (rows.length > 0) this.index.insert(rows, { [state.id]: through });
      rows = [];
    };
    let last: { segment: number; offset: number } | undefined;
    for await (const record of state.log.scan(from)) {
      // A deletion applies to the rows before it: they must reach the worker first.
      if (last && (record.type === RecordType.Tombstone || record.type === RecordType.Evicted)) post(last);
      last = { segment: record.loc.segment, offset: record.loc.offset + record.loc.length };
      const row = this.replayRecord(state, record, bodies);
      if (row) {
        rows.push(row);
        replayed++;
        if (rows.length >= INDEX_BATCH) post(last);
      }
    }
    if (last) post(last);
    if (replayed > 0 && from) this.warn(`history store: indexed ${replayed} entr${replayed === 1 ? 'y' : 'ies'} of session ${state.id} the last run had not indexed`);
  }

  private replayRecord(state: SessionState, record: LogRecord, bodies: Map<string, Buffer>): IndexRow | undefined {
    const json = () => JSON.parse(record.payload.toString('utf8')) as unknown;
    switch (record.type) {
      case RecordType.Body: {
        const body = decodeBodyPayload(record.payload);
        bodies.set(`${body.side}\u0000${body.entryId}`, body.bytes);
        return undefined;
      }
      case RecordType.Entry: {
        const stored = json() as StoredEntry;
        const take = (side: BodySide) => {
          const key = `${side}\u0000${stored.entry.id}`;
          const bytes = bodies.get(key);
          bodies.delete(key);
          return bytes;
        };
        const request = take('request');
        const response = take('response');
        if (stored.seq <= state.evictedThrough) return undefined;
        const patch = this.annotations.get(state.id, stored.entry.id);
        return indexRowOf({ ...stored, entry: overlay(stored.entry, patch) }, this.placement(stored, record.loc), { ...(request ? { request } : {}), ...(response ? { response } : {}) });
      }
      case RecordType.Tombstone:
        void this.index.deleteEntries(state.id, (json() as { ids: string[] }).ids);
        return undefined;
      case RecordType.Evicted: {
        const { throughSeq } = json() as { throughSeq: number };
        state.evictedThrough = Math.max(state.evictedThrough, throughSeq);
        void this.index.evictThrough(state.id, throughSeq);
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private placement(stored: StoredEntry, loc: RecordLocation): RowPlacement {
    let bytes = loc.length;
    let minSegment = loc.segment;
    let externalBodies = false;
    for (const ref of [stored.bodies?.request, stored.bodies?.response]) {
      if (!ref) continue;
      if ('loc' in ref) {
        bytes += ref.loc.length;
        minSegment = Math.min(minSegment, ref.loc.segment);
      } else {
        bytes += ref.external;
        externalBodies = true;
      }
    }
    // Bodies are appended just before their entry record: the entry's segment is the highest, a body's may be lower.
    return { loc, maxSegment: loc.segment, minSegment, bytes, externalBodies };
  }

  private async loadExternal(state: SessionState): Promise<void> {
    const dir = path.join(this.dataDir, 'bodies', safeFileName(state.id));
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const match = /^(.+)\.(request|response)$/.exec(name);
      const stat = match ? await fsp.stat(path.join(dir, name)).catch(() => undefined) : undefined;
      if (!match || !stat?.isFile()) continue;
      const entryId = unsafeFileName(match[1]!);
      state.external.set(entryId, (state.external.get(entryId) ?? 0) + stat.size);
      state.externalBytes += stat.size;
    }
  }

  /** Removes the worker-written body files of entries that are gone. */
  private async dropExternal(state: SessionState, ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const bytes = state.external.get(id);
      if (bytes === undefined) continue;
      state.external.delete(id);
      state.externalBytes = Math.max(0, state.externalBytes - bytes);
      for (const side of ['request', 'response'] as const) await fsp.rm(bodyFilePath(this.dataDir, state.id, id, side), { force: true });
    }
  }

  // ---- sessions ----

  upsertSession(record: SessionRecord): void {
    this.assertOpen();
    this.sessions.set(record.id, { ...record });
    this.sessionsFile.markDirty();
    const state = this.states.get(record.id);
    if (state) this.writeHeader(state);
    else if (!this.opening.has(record.id)) this.openNewSession(record.id);
  }

  private openNewSession(id: string): void {
    this.waiting.set(id, []);
    const opened = this.openState(id)
      .then(async (state) => {
        if (!this.sessions.has(id) || this.closed) {
          // Deleted (or the store closed) while its log was being opened.
          this.states.delete(id);
          await state.log.close();
          if (!this.sessions.has(id)) await fsp.rm(state.dir, { recursive: true, force: true });
          return;
        }
        this.writeHeader(state);
        const items = this.waiting.get(id) ?? [];
        this.waiting.delete(id);
        for (const item of items) this.insertOne(item);
        this.schedulePost();
        this.scheduleEnforce();
      })
      .catch((error: unknown) => {
        this.warn(`history store: cannot open the log of session ${id} (${errorMessage(error)}); its entries are not saved`);
        this.noteWriteState(`open:${id}`, error as Error);
      })
      .finally(() => {
        this.waiting.delete(id);
        this.opening.delete(id);
      });
    this.opening.set(id, opened);
  }

  /** Reads of a session whose log is still opening wait for it (and for what was inserted meanwhile). */
  private async ready(sessionId: string): Promise<void> {
    const opening = this.opening.get(sessionId);
    if (opening) await opening;
    if (this.recovering) await this.recovering;
    await this.settleBudgets();
  }

  /** A budget pass that waits (see enforceSoon) runs now: what a read answers is always within the budgets. */
  private async settleBudgets(): Promise<void> {
    if (this.enforceTimer) {
      clearTimeout(this.enforceTimer);
      this.enforceTimer = undefined;
      this.scheduleEnforce();
    }
    await this.enforcing?.catch(() => undefined);
  }

  private indexError(error: Error): void {
    if (/^the index worker (crashed|exited unexpectedly)/.test(error.message)) this.recoverIndex(error);
    else this.warn(`history index: ${error.message}`);
  }

  /**
   * A dead index worker is replaced: the new one loads the last snapshot and the logs are replayed from there (rows
   * it already holds are skipped). Capture goes on meanwhile, into the logs; reads wait until the index is back.
   */
  private recoverIndex(error: Error): void {
    if (this.recovering || this.closed) return;
    this.warn(`history index: ${error.message}; restarting it and re-indexing from the session logs`);
    this.recovering = (async () => {
      const { client, opened } = await openIndex({ dir: path.join(this.dataDir, INDEX_DIR), onError: (e) => this.indexError(e) });
      this.index = client;
      for (const state of [...this.states.values()]) await this.replay(state, opened.rebuilt ? undefined : opened.watermarks[state.id]);
      this.postRows();
      for (const state of this.states.values()) state.count = (await this.index.list(state.id, 0, 0)).total + state.rows.length;
      this.warn('history index: restarted');
    })()
      .catch((e: unknown) => this.warn(`history index: could not restart it (${errorMessage(e)}); restart the server`))
      .finally(() => {
        this.recovering = undefined;
      });
  }

  getSession(id: string): SessionRecord | undefined {
    const record = this.sessions.get(id);
    return record && { ...record };
  }

  listSessions(): SessionRecord[] {
    return [...this.sessions.values()].map((r) => ({ ...r }));
  }

  async deleteSession(id: string): Promise<void> {
    this.assertOpen();
    await this.ready(id);
    if (!this.sessions.delete(id)) return;
    this.sessionsFile.markDirty();
    const state = this.states.get(id);
    this.states.delete(id);
    for (const key of this.cache.keys()) if (key.startsWith(`${id}\u0000`)) this.cache.delete(key);
    this.annotations.forgetSession(id);
    this.index.deleteSession(id);
    if (state) {
      await state.log.close().catch(() => undefined);
      await fsp.rm(state.dir, { recursive: true, force: true });
    }
    await fsp.rm(path.join(this.dataDir, 'bodies', safeFileName(id)), { recursive: true, force: true });
    await this.sessionsFile.flush().then(() => this.noteWriteState('sessions', undefined), (error: unknown) => this.noteWriteState('sessions', error as Error));
  }

  // ---- entries: writes ----

  insertEntries(items: ReadonlyArray<Item>): void {
    this.assertOpen();
    for (const item of items) this.insertOne(item);
    this.schedulePost();
    this.enforceSoon();
  }

  /**
   * Budgets are enforced within ENFORCE_DELAY_MS of an insert, not after every batch: an eviction pass makes the
   * index write what it has gathered at once (its batches become small and dear again, see index-worker.ts) and is
   * several round trips itself. A session at its limit so holds at most that much traffic over it, briefly, and
   * never in what a read answers (ready() settles the budgets first).
   */
  private enforceSoon(): void {
    if (this.enforceTimer || this.closed) return;
    this.enforceTimer = setTimeout(() => {
      this.enforceTimer = undefined;
      if (!this.closed) this.scheduleEnforce();
    }, ENFORCE_DELAY_MS);
  }

  private insertOne(item: Item): void {
    const { entry, bodies } = item;
    const waiting = this.waiting.get(entry.sessionId);
    if (waiting) {
      waiting.push(item);
      return;
    }
    const state = this.states.get(entry.sessionId);
    if (!state || !this.sessions.has(entry.sessionId)) return;
    const pending = this.pendingBytes();
    if (pending > 2 * this.options.maxPendingBytes) {
      // The disk has been refusing writes for long: even entries no longer fit in memory.
      this.droppedEntries++;
      return;
    }
    const seq = ++state.seq;
    const refs: { request?: BodyRef; response?: BodyRef } = {};
    const kept: { request?: readonly Buffer[]; response?: readonly Buffer[] } = {};
    let stripped = stripEntry(entry);
    for (const side of ['request', 'response'] as const) {
      const body = bodies[side];
      if (body === undefined) continue;
      if (isWrittenBody(body)) {
        refs[side] = { external: body.written };
        state.externalBytes += body.written;
        state.external.set(entry.id, (state.external.get(entry.id) ?? 0) + body.written);
        continue;
      }
      if (this.pendingBytes() + bodyLength(body) > this.options.maxPendingBytes) {
        stripped = this.flagDropped(stripped, side, state);
        continue;
      }
      const chunks = Buffer.isBuffer(body) ? [body] : (body as readonly Buffer[]);
      refs[side] = { loc: state.log.append(RecordType.Body, encodeBodyPayload(side, entry.id, chunks)) };
      kept[side] = chunks;
    }
    const stored: StoredEntry = { seq, entry: stripped, ...(refs.request || refs.response ? { bodies: refs } : {}) };
    const loc = this.append(state, RecordType.Entry, Buffer.from(JSON.stringify(stored)));
    state.count++;
    state.rows.push(indexRowOf(stored, this.placement(stored, loc), kept));
  }

  private flagDropped(entry: Entry, side: BodySide, state: SessionState): Entry {
    state.droppedBodies++;
    const mib = Math.round(this.options.maxPendingBytes / 1024 / 1024);
    const reason = this.writeError
      ? `not saved: storage is failing (${this.writeError.error})`
      : `not saved: more than ${mib} MiB were waiting for the disk`;
    const info = sideInfo(entry, side);
    if (!info) return entry;
    const flagged = { ...info, dropped: true as const, droppedReason: reason };
    if (side === 'request') return { ...entry, request: { ...entry.request, body: flagged } };
    return { ...entry, response: { ...entry.response!, body: flagged } };
  }

  /** Appends, and when that opened a new segment, gives the segment its header right away. */
  private append(state: SessionState, type: RecordType, payload: Buffer): RecordLocation {
    const loc = state.log.append(type, payload);
    if (loc.segment !== state.headerSegment) this.writeHeader(state);
    return loc;
  }

  /** Every segment carries the session's record and numbering, so a reopen needs to read only the newest one. */
  private writeHeader(state: SessionState): void {
    const record = this.sessions.get(state.id);
    if (!record) return;
    const header: SegmentHeader = { record, lastSeq: state.seq, evictedThrough: state.evictedThrough };
    const loc = state.log.append(RecordType.Session, Buffer.from(JSON.stringify(header)));
    state.headerSegment = loc.segment;
  }

  private remember(key: string, stored: StoredEntry): void {
    this.cache.delete(key);
    this.cache.set(key, stored);
    if (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
  }

  /** Rows go to the worker in one message per tick, whatever the number of inserts. */
  private schedulePost(): void {
    if (this.postScheduled) return;
    this.postScheduled = true;
    queueMicrotask(() => this.postRows());
  }

  private postRows(): void {
    this.postScheduled = false;
    for (const state of this.states.values()) {
      if (state.rows.length === 0) continue;
      const rows = state.rows;
      state.rows = [];
      this.index.insert(rows, { [state.id]: state.log.end() });
    }
  }

  async updateEntry(sessionId: string, entryId: string, patch: { tags?: string[]; notes?: string }): Promise<Entry | undefined> {
    this.assertOpen();
    const current = await this.getEntry(sessionId, entryId);
    if (!current) return undefined;
    const clean: EntryPatch = {};
    if (patch.tags !== undefined) clean.tags = [...patch.tags];
    if (patch.notes !== undefined) clean.notes = patch.notes;
    const merged = this.annotations.set(sessionId, entryId, clean);
    this.index.patch(sessionId, entryId, clean);
    return overlay(current, merged);
  }

  async deleteEntries(sessionId: string, entryIds: string[]): Promise<void> {
    this.assertOpen();
    await this.ready(sessionId);
    const state = this.states.get(sessionId);
    if (!state || entryIds.length === 0) return;
    this.postRows();
    this.append(state, RecordType.Tombstone, Buffer.from(JSON.stringify({ ids: entryIds })));
    const removed = await this.index.deleteEntries(sessionId, entryIds);
    state.count = Math.max(0, state.count - removed.length);
    for (const id of entryIds) this.cache.delete(keyOf(sessionId, id));
    await this.dropExternal(state, entryIds);
    this.annotations.forgetEntries(sessionId, entryIds);
  }

  // ---- entries: reads ----

  async getEntry(sessionId: string, entryId: string): Promise<Entry | undefined> {
    this.assertOpen();
    await this.ready(sessionId);
    const stored = await this.stored(sessionId, entryId);
    return stored && overlay(stored.entry, this.annotations.get(sessionId, entryId));
  }

  private async stored(sessionId: string, entryId: string, ref?: IndexedRef): Promise<StoredEntry | undefined> {
    const key = keyOf(sessionId, entryId);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const state = this.states.get(sessionId);
    if (!state) return undefined;
    this.postRows();
    const where = ref ?? (await this.index.get(sessionId, entryId));
    if (!where) return undefined;
    try {
      const record = await state.log.read(where.loc);
      const stored = JSON.parse(record.payload.toString('utf8')) as StoredEntry;
      this.remember(key, stored);
      return stored;
    } catch (error) {
      // Evicted while it was being read (its segment went): gone, not damaged.
      if (await this.stillIndexed(sessionId, entryId)) this.warn(`history store: entry ${entryId} of session ${sessionId} cannot be read (${errorMessage(error)})`);
      return undefined;
    }
  }

  private async stillIndexed(sessionId: string, entryId: string): Promise<boolean> {
    return (await this.index.get(sessionId, entryId).catch(() => undefined)) !== undefined;
  }

  async listEntries(sessionId: string, offset: number, limit: number): Promise<{ entries: Entry[]; total: number }> {
    this.assertOpen();
    const safeOffset = Number.isFinite(offset) ? Math.max(0, Math.floor(offset)) : 0;
    const safeLimit = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0;
    await this.ready(sessionId);
    const state = this.states.get(sessionId);
    if (!state) return { entries: [], total: 0 };
    for (let attempt = 0; ; attempt++) {
      const { refs, total } = await this.withinBudgets(() => this.index.list(sessionId, safeOffset, safeLimit));
      // A page's records, and the bodies between them that the caller reads next, in a few reads (see read-ahead.ts).
      const missing = refs.filter((ref) => !this.cache.has(keyOf(sessionId, ref.entryId))).map((ref) => ref.loc);
      if (missing.length > 1) await state.log.prefetch?.(missing, PAGE_READ_AHEAD);
      const stored = await Promise.all(refs.map((ref) => this.stored(sessionId, ref.entryId, ref)));
      // Some were evicted while being read (the oldest page of a full session is what eviction takes): ask again.
      if (stored.some((x) => x === undefined) && attempt < 2) continue;
      const entries: Entry[] = [];
      for (const x of stored) if (x) entries.push(overlay(x.entry, this.annotations.get(sessionId, x.entry.id)));
      return { entries, total };
    }
  }

  /**
   * Runs `query` (an index call) once no budget is exceeded, in the same turn as the last check, so that its answer
   * (a page's total, say) is within the budgets even while entries keep arriving.
   */
  private async withinBudgets<T>(query: () => Promise<T>): Promise<T> {
    for (let round = 0; round < 3 && this.overAnyLimit(); round++) {
      await this.settleBudgets();
      if (this.overAnyLimit()) this.scheduleEnforce();
      await this.enforcing?.catch(() => undefined);
    }
    this.postRows();
    return query();
  }

  countEntries(sessionId: string): number {
    return (this.states.get(sessionId)?.count ?? 0) + (this.waiting.get(sessionId)?.length ?? 0);
  }

  async searchEntries(sessionId: string, text: string, limit = 1000): Promise<string[]> {
    this.assertOpen();
    await this.ready(sessionId);
    if (!this.states.has(sessionId)) return [];
    this.postRows();
    const refs = await this.index.search(sessionId, text, limit);
    return refs.map((r) => r.entryId);
  }

  async readBody(sessionId: string, entryId: string, side: BodySide): Promise<Buffer | undefined> {
    this.assertOpen();
    await this.ready(sessionId);
    const stored = await this.stored(sessionId, entryId);
    const ref = stored?.bodies?.[side];
    const state = this.states.get(sessionId);
    if (!stored || !ref || !state) return undefined;
    if (this.annotations.get(sessionId, entryId)?.lost?.includes(side)) return undefined;
    try {
      if ('loc' in ref) {
        const record = await state.log.read(ref.loc);
        return decodeBodyPayload(record.payload).bytes;
      }
      const bytes = await fsp.readFile(bodyFilePath(this.dataDir, sessionId, entryId, side));
      if (ref.external > 1 && bytes.length !== ref.external) throw new Error(`body file is short (${bytes.length} of ${ref.external} bytes)`);
      return bytes;
    } catch (error) {
      if (await this.stillIndexed(sessionId, entryId)) this.markLost(sessionId, entryId, side, errorMessage(error));
      return undefined;
    }
  }

  private markLost(sessionId: string, entryId: string, side: BodySide, why: string): void {
    this.warn(`history store: the ${side} body of entry ${entryId} (session ${sessionId}) is gone: ${why}`);
    this.annotations.set(sessionId, entryId, { lost: [side] });
    this.index.patch(sessionId, entryId, {});
  }

  // ---- budgets ----

  private scheduleEnforce(): void {
    if (this.enforcing) {
      this.enforceAgain = true;
      return;
    }
    if (!this.overAnyLimit()) return;
    this.enforcing = this.enforce()
      .catch((error: unknown) => this.warn(`history store: eviction failed (${errorMessage(error)})`))
      .finally(() => {
        this.enforcing = undefined;
        if (this.enforceAgain && !this.closed) {
          this.enforceAgain = false;
          this.scheduleEnforce();
        }
      });
  }

  private overAnyLimit(): boolean {
    const perSession = this.options.maxEntriesPerSession;
    if (perSession !== undefined) for (const s of this.states.values()) if (s.count > perSession) return true;
    return this.totalEntries() > this.options.maxTotalEntries || this.totalBytes() > this.options.maxStoreBytes;
  }

  /** One eviction at a time, until every limit holds: the counts it reads are then never stale. */
  private async enforce(): Promise<void> {
    this.postRows();
    const perSession = this.options.maxEntriesPerSession;
    if (perSession !== undefined) {
      for (const state of [...this.states.values()]) {
        if (state.count > perSession) await this.evictOldest(state, state.count - perSession + evictionSlack(perSession), 'session-limit');
      }
    }
    for (let guard = 0; guard < 10_000 && this.totalEntries() > this.options.maxTotalEntries; guard++) {
      const victim = this.victim();
      if (!victim) break;
      const excess = this.totalEntries() - this.options.maxTotalEntries + evictionSlack(this.options.maxTotalEntries);
      await this.evictOldest(victim, Math.min(excess, victim.count), 'total-entries');
    }
    for (let guard = 0; guard < 10_000 && this.totalBytes() > this.options.maxStoreBytes; guard++) {
      const victim = this.victim((s) => s.log.segments().length > 1);
      if (!victim) break;
      const before = this.totalBytes();
      await this.evictOldestSegment(victim);
      // Nothing freed (the victim's only old segment is still in use): try again after the next insert, not now.
      if (this.totalBytes() >= before) break;
    }
  }

  /** Stopped sessions first (the one stopped longest ago), then running ones (the one started longest ago). */
  private victim(extra: (s: SessionState) => boolean = () => true): SessionState | undefined {
    const candidates = [...this.states.values()].filter((s) => s.count > 0 && this.sessions.has(s.id) && extra(s));
    const rank = (s: SessionState): [number, string] => {
      const r = this.sessions.get(s.id)!;
      return r.status === 'stopped' ? [0, r.stoppedAt ?? r.startedAt] : [1, r.startedAt];
    };
    candidates.sort((a, b) => {
      const [ra, ta] = rank(a);
      const [rb, tb] = rank(b);
      return ra - rb || ta.localeCompare(tb);
    });
    return candidates[0];
  }

  private async evictOldest(state: SessionState, count: number, reason: EvictionReason): Promise<void> {
    if (count <= 0) return;
    const through = await this.index.nthSeq(state.id, count);
    if (through === undefined) return;
    await this.evictThrough(state, through, reason);
  }

  /**
   * Frees the session's oldest segment: every entry that lives entirely in it goes, and so does one whose body is in
   * it but whose entry record went to the next segment (the index knows both ends of every entry).
   */
  private async evictOldestSegment(state: SessionState): Promise<void> {
    const oldest = state.log.segments()[0]!.segment;
    const lowest = await this.index.lowestLiveSegment(state.id);
    if (lowest === undefined || lowest > oldest) {
      // Nothing live in it (headers, tombstones, evicted entries): it can go as it is.
      await state.log.deleteSegmentsBefore(Math.min(lowest ?? state.log.activeSegment, state.log.activeSegment));
      return;
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      let through = attempt === 0 ? await this.index.maxSeqThroughSegment(state.id, oldest) : undefined;
      if (through === undefined || through <= state.evictedThrough) through = await this.index.nthSeq(state.id, 1);
      if (through === undefined) return;
      await this.evictThrough(state, through, 'store-bytes');
      const after = await this.index.lowestLiveSegment(state.id);
      if (after === undefined || after > oldest) return;
    }
  }

  private async evictThrough(state: SessionState, throughSeq: number, reason: EvictionReason): Promise<void> {
    state.evictedThrough = Math.max(state.evictedThrough, throughSeq);
    this.append(state, RecordType.Evicted, Buffer.from(JSON.stringify({ throughSeq })));
    const { ids } = await this.index.evictThrough(state.id, throughSeq);
    state.count = Math.max(0, state.count - ids.length);
    for (const id of ids) this.cache.delete(keyOf(state.id, id));
    this.annotations.forgetEntries(state.id, ids);
    await this.dropExternal(state, ids);
    if (reason !== 'session-limit') this.evictedByBudget += ids.length;
    const lowest = await this.index.lowestLiveSegment(state.id);
    await state.log.deleteSegmentsBefore(lowest ?? state.log.activeSegment);
    if (ids.length > 0) this.options.onEvicted?.({ sessionId: state.id, ids, reason });
  }

  private totalEntries(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.count;
    return n;
  }

  private totalBytes(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.log.totalBytes + s.externalBytes;
    return n;
  }

  // ---- status ----

  private pendingBytes(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.log.pendingBytes;
    return n;
  }

  /**
   * Each writer (a session log, sessions.json, annotations) reports failure and recovery for itself: the store is
   * failing while any of them is, and ok again once every one has written successfully.
   */
  private noteWriteState(source: string, error: Error | undefined): void {
    const wasFailing = this.failures.size > 0;
    if (error) {
      this.failures.set(source, error.message);
      if (!wasFailing) {
        this.warn(`history store: could not save to ${this.dataDir}: ${error.message} (capture goes on; will retry)`);
        this.failingSince = new Date().toISOString();
      }
      return;
    }
    if (!this.failures.delete(source) || this.failures.size > 0) return;
    this.warn(`history store: saving to ${this.dataDir} works again`);
    this.okSince = new Date().toISOString();
  }

  private get writeError(): { error: string; since: string } | undefined {
    if (this.failures.size === 0) return undefined;
    return { error: [...this.failures.values()].at(-1)!, since: this.failingSince };
  }

  /**
   * `savedAt`: on every tick, the time and each log's end are noted; once every log's durable end has passed what
   * was noted, everything recorded before that time is on disk.
   */
  private advanceSaved(): void {
    const ahead = (a: { segment: number; offset: number }, b: { segment: number; offset: number }) => a.segment > b.segment || (a.segment === b.segment && a.offset >= b.offset);
    while (this.marks.length > 0) {
      const mark = this.marks[0]!;
      const done = [...mark.ends].every(([id, end]) => {
        const state = this.states.get(id);
        return !state || ahead(state.log.durableEnd(), end);
      });
      if (!done) break;
      this.lastSavedAt = mark.at;
      this.marks.shift();
    }
  }

  storageStatus(sessionId?: string): StorageStatus {
    const pending = this.pendingBytes();
    let dropped = 0;
    for (const s of this.states.values()) if (sessionId === undefined || s.id === sessionId) dropped += s.droppedBodies;
    this.advanceSaved();
    // Nothing waiting and nothing failing: everything recorded until now is on disk.
    if (!this.writeError && pending === 0) this.lastSavedAt = new Date().toISOString();
    return {
      state: this.writeError ? 'failing' : 'ok',
      ...(this.writeError ? { error: this.writeError.error, since: this.writeError.since } : { since: this.okSince }),
      ...(this.lastSavedAt ? { savedAt: this.lastSavedAt } : {}),
      droppedBodies: dropped,
      pendingBytes: pending,
      maxPendingBytes: this.options.maxPendingBytes,
    };
  }

  usage(): StorageUsage {
    const sessions = [...this.states.values()].map((s) => ({ sessionId: s.id, entries: s.count, bytes: s.log.totalBytes + s.externalBytes }));
    return {
      entries: this.totalEntries(),
      bytes: this.totalBytes(),
      maxEntries: this.options.maxTotalEntries,
      maxBytes: this.options.maxStoreBytes,
      evicted: this.evictedByBudget,
      sessions,
    };
  }

  // ---- durability ----

  private tick(): void {
    this.postRows();
    void this.sessionsFile.flush().then(() => this.noteWriteState('sessions', undefined), (error: unknown) => this.noteWriteState('sessions', error as Error));
    void this.annotations.flush().then(() => this.noteWriteState('annotations', undefined), (error: unknown) => this.noteWriteState('annotations', error as Error));
    this.advanceSaved();
    if (this.marks.length < 64) this.marks.push({ at: new Date().toISOString(), ends: new Map([...this.states].map(([id, st]) => [id, st.log.end()])) });
    if (this.totalBytes() > this.options.maxStoreBytes) this.scheduleEnforce();
    if (++this.ticks % RECONCILE_TICKS === 0) void this.reconcileCounts();
  }

  /**
   * The counts kept here follow inserts and evictions; the index's are the truth (a batch the worker refused, say,
   * is not in it). Every few seconds, while no eviction runs, the difference is carried over.
   */
  private async reconcileCounts(): Promise<void> {
    if (this.enforcing || this.closed) return;
    this.postRows();
    for (const state of [...this.states.values()]) {
      const before = state.count;
      const { total } = await this.index.list(state.id, 0, 0).catch(() => ({ total: before }));
      if (this.enforcing || total === before) continue;
      this.warn(`history store: session ${state.id} counted ${before} entries, its index holds ${total}; using the index's count`);
      state.count += total - before;
    }
  }

  async flush(): Promise<void> {
    this.assertOpen();
    await Promise.all([...this.opening.values()]);
    this.postRows();
    await this.settleBudgets();
    await Promise.all([...this.states.values()].map((s) => s.log.flush()));
    await this.sessionsFile.flush();
    await this.annotations.flush();
    this.advanceSaved();
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    await Promise.all([...this.opening.values()]);
    await this.recovering;
    this.postRows();
    await this.enforcing?.catch(() => undefined);
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.enforceTimer);
    let failure: unknown;
    const keep = (error: unknown) => {
      failure ??= error;
    };
    await Promise.all([...this.states.values()].map((s) => s.log.close().catch(keep)));
    await this.sessionsFile.flush().catch(keep);
    await this.annotations.flush().catch(keep);
    await this.index.close().catch(keep);
    await fsyncDir(this.dataDir).catch(() => undefined);
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error('the store did not close cleanly', { cause: failure });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('history store is closed');
  }
}

