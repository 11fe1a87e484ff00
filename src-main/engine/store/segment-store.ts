/**
 * The history store (v2). The record of truth is one append-only log per session (segments/segment-log.ts); sql.js
 * in a worker thread is only the index (index/index-client.ts) and can be rebuilt from the logs; tags and notes
 * live in annotations.jsonl; sessions in sessions.json. Nothing here blocks the event loop for long: appends are
 * synchronous but O(record), writes and reads are asynchronous, and every query runs in the worker.
 * See README.md in this folder for the layout and the guarantees.
 *
 * This class is the store's surface and its lifecycle (open, sessions, flush, close); its parts share one
 * StoreContext: the write path (store-writer.ts), budgets and eviction (store-budgets.ts), opening and replaying
 * the logs (store-replay.ts), reads (store-reader.ts) and the save status (write-health.ts).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Entry, StorageStatus, StorageUsage } from '../../../src-shared/model.js';
import { Annotations } from './annotations.js';
import { DIR_MODE, errorMessage, fsyncDir, safeFileName } from './fs-util.js';
import { openIndex } from './index/index-client.js';
import { migrateV1, moveV1Aside, v1State } from './migrate-v1.js';
import { SessionsFile, readSessionsFile } from './sessions-file.js';
import { overlay, type EntryPatch } from './stored-entry.js';
import { StoreBudgets } from './store-budgets.js';
import { INDEX_DIR, SESSIONS_DIR, STORE_DEFAULTS, StoreContext, type Item, type SegmentStoreOptions, type SessionState } from './store-context.js';
import { StoreReader } from './store-reader.js';
import { openLogs, restartIndex } from './store-replay.js';
import type { BodySide, RecorderStore, SessionRecord } from './store-types.js';
import { StoreWriter } from './store-writer.js';
import { WriteHealth } from './write-health.js';

export { evictionSlack } from './store-budgets.js';
export { STORE_DEFAULTS, type SegmentStoreOptions } from './store-context.js';

/** Written once a data dir holds a v2 store (after a migration finished, or on first use). */
export const STORE_VERSION_FILE = 'store-version';
/** Counts are checked against the index every this many ticks (~5 s). */
const RECONCILE_TICKS = 20;

export class SegmentStore implements RecorderStore {
  private readonly ctx: StoreContext;
  private readonly health: WriteHealth;
  private readonly writer: StoreWriter;
  private readonly budgets: StoreBudgets;
  private readonly reader: StoreReader;
  /** Logs of new sessions being opened (what is inserted meanwhile waits in the writer). */
  private readonly opening = new Map<string, Promise<void>>();
  private readonly sessionsFile: SessionsFile;
  private readonly timer: NodeJS.Timeout;
  private recovering: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private ticks = 0;

  private constructor(dataDir: string, index: StoreContext['index'], annotations: Annotations, options: SegmentStoreOptions) {
    const warn = options.onWarning ?? ((m: string) => console.warn(m));
    this.ctx = new StoreContext(dataDir, index, annotations, { ...STORE_DEFAULTS, ...options }, warn);
    this.health = new WriteHealth(this.ctx);
    this.writer = new StoreWriter(this.ctx, this.health);
    this.budgets = new StoreBudgets(this.ctx, this.writer);
    this.reader = new StoreReader(this.ctx, this.budgets, () => this.writer.postRows());
    this.sessionsFile = new SessionsFile(dataDir, () => [...this.ctx.sessions.values()]);
    this.timer = setInterval(() => this.tick(), this.ctx.options.flushMs);
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
      for (const record of (await readSessionsFile(dataDir, warn)) ?? []) store.ctx.sessions.set(record.id, record);
      if (opened.rebuilt && opened.rebuilt !== 'missing') warn(`history index: rebuilding from the session logs (${opened.rebuilt})`);
      await openLogs(store.ctx, (id) => store.openState(id), store.sessionsFile, { watermarks: opened.watermarks, rebuild: opened.rebuilt !== undefined });
    } catch (error) {
      clearInterval(store.timer);
      await client.close().catch(() => undefined);
      throw error;
    }
    return store;
  }

  private openState(id: string): Promise<SessionState> {
    return this.ctx.openState(id, (error) => this.health.note(`log:${id}`, error));
  }

  // ---- sessions ----

  upsertSession(record: SessionRecord): void {
    this.assertOpen();
    this.ctx.sessions.set(record.id, { ...record });
    this.sessionsFile.markDirty();
    const state = this.ctx.states.get(record.id);
    if (state) this.writer.writeHeader(state);
    else if (!this.opening.has(record.id)) this.openNewSession(record.id);
  }

  private openNewSession(id: string): void {
    const { ctx, writer } = this;
    writer.waiting.set(id, []);
    const opened = this.openState(id)
      .then(async (state) => {
        if (!ctx.sessions.has(id) || ctx.closed) {
          // Deleted (or the store closed) while its log was being opened.
          ctx.states.delete(id);
          await state.log.close();
          if (!ctx.sessions.has(id)) await fsp.rm(state.dir, { recursive: true, force: true });
          return;
        }
        writer.writeHeader(state);
        const items = writer.waiting.get(id) ?? [];
        writer.waiting.delete(id);
        for (const item of items) writer.insert(item);
        writer.schedulePost();
        this.budgets.schedule();
      })
      .catch((error: unknown) => {
        ctx.warn(`history store: cannot open the log of session ${id} (${errorMessage(error)}); its entries are not saved`);
        this.health.note(`open:${id}`, error as Error);
      })
      .finally(() => {
        writer.waiting.delete(id);
        this.opening.delete(id);
      });
    this.opening.set(id, opened);
  }

  /** Reads of a session whose log is still opening wait for it (and for what was inserted meanwhile). */
  private async ready(sessionId: string): Promise<void> {
    const opening = this.opening.get(sessionId);
    if (opening) await opening;
    if (this.recovering) await this.recovering;
    await this.budgets.settle();
  }

  private indexError(error: Error): void {
    if (/^the index worker (crashed|exited unexpectedly)/.test(error.message)) this.recoverIndex(error);
    else this.ctx.warn(`history index: ${error.message}`);
  }

  /** A dead index worker is replaced and the logs re-indexed from its positions (see restartIndex). */
  private recoverIndex(error: Error): void {
    if (this.recovering || this.ctx.closed) return;
    this.ctx.warn(`history index: ${error.message}; restarting it and re-indexing from the session logs`);
    this.recovering = restartIndex(this.ctx, (e) => this.indexError(e), () => this.writer.postRows())
      .then(() => this.ctx.warn('history index: restarted'))
      .catch((e: unknown) => this.ctx.warn(`history index: could not restart it (${errorMessage(e)}); restart the server`))
      .finally(() => {
        this.recovering = undefined;
      });
  }

  getSession(id: string): SessionRecord | undefined {
    const record = this.ctx.sessions.get(id);
    return record && { ...record };
  }

  listSessions(): SessionRecord[] {
    return [...this.ctx.sessions.values()].map((r) => ({ ...r }));
  }

  async deleteSession(id: string): Promise<void> {
    this.assertOpen();
    await this.ready(id);
    const { ctx } = this;
    if (!ctx.sessions.delete(id)) return;
    this.sessionsFile.markDirty();
    const state = ctx.states.get(id);
    ctx.states.delete(id);
    ctx.cache.forgetSession(id);
    ctx.annotations.forgetSession(id);
    ctx.index.deleteSession(id);
    if (state) {
      await state.log.close().catch(() => undefined);
      await fsp.rm(state.dir, { recursive: true, force: true });
    }
    await fsp.rm(path.join(ctx.dataDir, 'bodies', safeFileName(id)), { recursive: true, force: true });
    await this.health.track('sessions', this.sessionsFile.flush());
  }

  // ---- entries ----

  insertEntries(items: ReadonlyArray<Item>): void {
    this.assertOpen();
    for (const item of items) this.writer.insert(item);
    this.writer.schedulePost();
    this.budgets.soon();
  }

  async updateEntry(sessionId: string, entryId: string, patch: { tags?: string[]; notes?: string }): Promise<Entry | undefined> {
    this.assertOpen();
    const current = await this.getEntry(sessionId, entryId);
    if (!current) return undefined;
    const clean: EntryPatch = {};
    if (patch.tags !== undefined) clean.tags = [...patch.tags];
    if (patch.notes !== undefined) clean.notes = patch.notes;
    const merged = this.ctx.annotations.set(sessionId, entryId, clean);
    this.ctx.index.patch(sessionId, entryId, clean);
    return overlay(current, merged);
  }

  async deleteEntries(sessionId: string, entryIds: string[]): Promise<void> {
    this.assertOpen();
    await this.ready(sessionId);
    const state = this.ctx.states.get(sessionId);
    if (!state || entryIds.length === 0) return;
    await this.writer.deleteEntries(state, entryIds);
  }

  async getEntry(sessionId: string, entryId: string): Promise<Entry | undefined> {
    this.assertOpen();
    await this.ready(sessionId);
    const stored = await this.reader.stored(sessionId, entryId);
    return stored && overlay(stored.entry, this.ctx.annotations.get(sessionId, entryId));
  }

  async listEntries(sessionId: string, offset: number, limit: number): Promise<{ entries: Entry[]; total: number }> {
    this.assertOpen();
    const safeOffset = Number.isFinite(offset) ? Math.max(0, Math.floor(offset)) : 0;
    const safeLimit = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0;
    await this.ready(sessionId);
    const state = this.ctx.states.get(sessionId);
    if (!state) return { entries: [], total: 0 };
    return this.reader.page(state, safeOffset, safeLimit);
  }

  countEntries(sessionId: string): number {
    return (this.ctx.states.get(sessionId)?.count ?? 0) + (this.writer.waiting.get(sessionId)?.length ?? 0);
  }

  async searchEntries(sessionId: string, text: string, limit = 1000): Promise<string[]> {
    this.assertOpen();
    await this.ready(sessionId);
    if (!this.ctx.states.has(sessionId)) return [];
    this.writer.postRows();
    const refs = await this.ctx.index.search(sessionId, text, limit);
    return refs.map((r) => r.entryId);
  }

  async readBody(sessionId: string, entryId: string, side: BodySide): Promise<Buffer | undefined> {
    this.assertOpen();
    await this.ready(sessionId);
    return this.reader.readBody(sessionId, entryId, side);
  }

  // ---- status ----

  storageStatus(sessionId?: string): StorageStatus {
    return this.health.status(sessionId);
  }

  usage(): StorageUsage {
    return this.budgets.usage();
  }

  // ---- durability ----

  private tick(): void {
    this.writer.postRows();
    void this.health.track('sessions', this.sessionsFile.flush());
    void this.health.track('annotations', this.ctx.annotations.flush());
    this.health.advanceSaved();
    this.health.mark();
    if (this.ctx.totalBytes() > this.ctx.options.maxStoreBytes) this.budgets.schedule();
    if (++this.ticks % RECONCILE_TICKS === 0) void this.budgets.reconcileCounts();
  }

  async flush(): Promise<void> {
    this.assertOpen();
    await Promise.all([...this.opening.values()]);
    this.writer.postRows();
    await this.budgets.settle();
    await Promise.all([...this.ctx.states.values()].map((s) => s.log.flush()));
    await this.sessionsFile.flush();
    await this.ctx.annotations.flush();
    this.health.advanceSaved();
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    await Promise.all([...this.opening.values()]);
    await this.recovering;
    this.writer.postRows();
    await this.budgets.idle();
    this.ctx.closed = true;
    clearInterval(this.timer);
    this.budgets.stop();
    let failure: unknown;
    const keep = (error: unknown) => {
      failure ??= error;
    };
    await Promise.all([...this.ctx.states.values()].map((s) => s.log.close().catch(keep)));
    await this.sessionsFile.flush().catch(keep);
    await this.ctx.annotations.flush().catch(keep);
    await this.ctx.index.close().catch(keep);
    await fsyncDir(this.ctx.dataDir).catch(() => undefined);
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error('the store did not close cleanly', { cause: failure });
  }

  private assertOpen(): void {
    if (this.ctx.closed) throw new Error('history store is closed');
  }
}
