/**
 * The v1 store (SqlJsStore) behind the async RecorderStore interface, until the segment store replaces it: the
 * Recorder and its transports code against the new interface only. Search is the old full scan (yielding between
 * pages), usage is tracked from counts and size estimates, and the per-session FIFO limit and the store-wide
 * budgets (total entries, estimated bytes) are enforced here.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Entry, SessionUsage, StorageStatus, StorageUsage } from '../../../src-shared/model.js';
import { entryWithBodies } from '../body/body-view.js';
import { SqlJsStore } from './sqljs-store.js';
import {
  DEFAULT_MAX_STORE_BYTES, DEFAULT_MAX_TOTAL_ENTRIES,
  type BodySide, type EntryBodies, type EvictionNotice, type RecorderStore, type SessionRecord, type StoreBudgetOptions, type StoreOpenOptions,
} from './store-types.js';

export type LegacyAsyncStoreOptions = StoreOpenOptions & StoreBudgetOptions;

/** Entries read per step of a scan; the event loop gets a turn between steps. */
const SCAN_PAGE = 200;
const DEFAULT_SEARCH_LIMIT = 1000;
/** Rough bytes of an entry's row and journal line beside its headers and bodies. */
const ENTRY_OVERHEAD = 400;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * What an entry costs on disk, estimated from the entry alone (the same figure on insert and on delete, so the
 * running total never drifts): serialising it again only to measure it would double the capture path's cost.
 */
export function estimatedEntryBytes(entry: Entry): number {
  let n = ENTRY_OVERHEAD + entry.request.url.length + entry.request.body.capturedSize;
  for (const [k, v] of entry.request.headers) n += k.length + v.length + 6;
  if (entry.response) {
    n += entry.response.body.capturedSize;
    for (const [k, v] of entry.response.headers) n += k.length + v.length + 6;
  }
  return n;
}

/** Bytes of every file under `dir` (once, at open: never on a request's path). */
async function directorySize(dir: string): Promise<number> {
  let total = 0;
  let names;
  try {
    names = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const dirent of names) {
    const full = path.join(dir, dirent.name);
    if (dirent.isDirectory()) total += await directorySize(full);
    else if (dirent.isFile()) total += await fsp.stat(full).then((st) => st.size, () => 0);
  }
  return total;
}

export class LegacyAsyncStore implements RecorderStore {
  private readonly sessionBytes = new Map<string, number>();
  private totalBytes: number;
  private evictedByBudget = 0;
  private readonly maxPerSession: number;
  private readonly maxTotalEntries: number;
  private readonly maxStoreBytes: number;
  private readonly onEvicted: ((notice: EvictionNotice) => void) | undefined;

  private constructor(readonly inner: SqlJsStore, options: LegacyAsyncStoreOptions, diskBytes: number) {
    this.totalBytes = diskBytes;
    this.maxPerSession = options.maxEntriesPerSession ?? Number.POSITIVE_INFINITY;
    this.maxTotalEntries = options.maxTotalEntries ?? DEFAULT_MAX_TOTAL_ENTRIES;
    this.maxStoreBytes = options.maxStoreBytes ?? DEFAULT_MAX_STORE_BYTES;
    this.onEvicted = options.onEvicted;
  }

  static async open(options: LegacyAsyncStoreOptions): Promise<LegacyAsyncStore> {
    const inner = await SqlJsStore.open(options);
    try {
      const store = new LegacyAsyncStore(inner, options, await directorySize(path.resolve(options.dataDir)));
      await store.measureSessions();
      return store;
    } catch (e) {
      await inner.close();
      throw e;
    }
  }

  private async measureSessions(): Promise<void> {
    for (const { id } of this.inner.listSessions()) {
      let bytes = 0;
      for (let offset = 0; ; offset += SCAN_PAGE) {
        const { entries, total } = this.inner.listEntries(id, offset, SCAN_PAGE);
        for (const entry of entries) bytes += estimatedEntryBytes(entry);
        if (entries.length === 0 || offset + SCAN_PAGE >= total) break;
        await yieldToLoop();
      }
      this.sessionBytes.set(id, bytes);
    }
  }

  // ---- sessions ----

  upsertSession(record: SessionRecord): void {
    this.inner.upsertSession(record);
  }

  getSession(id: string): SessionRecord | undefined {
    return this.inner.getSession(id);
  }

  listSessions(): SessionRecord[] {
    return this.inner.listSessions();
  }

  async deleteSession(id: string): Promise<void> {
    this.inner.deleteSession(id);
    this.addBytes(id, -(this.sessionBytes.get(id) ?? 0));
    this.sessionBytes.delete(id);
  }

  // ---- entries ----

  insertEntries(items: ReadonlyArray<{ entry: Entry; bodies: EntryBodies }>): void {
    if (items.length === 0) return;
    this.inner.insertEntries(items);
    const sessions = new Set<string>();
    for (const { entry } of items) {
      sessions.add(entry.sessionId);
      this.addBytes(entry.sessionId, estimatedEntryBytes(entry));
    }
    for (const sessionId of sessions) this.enforceSessionLimit(sessionId);
    this.enforceStoreBudgets();
  }

  /**
   * Past a store-wide budget the oldest entries of stopped sessions go first (longest stopped first), then those
   * of running sessions (oldest session first), FIFO within each.
   */
  private enforceStoreBudgets(): void {
    const counts = new Map<string, number>();
    let entries = 0;
    for (const { id } of this.inner.listSessions()) {
      const n = this.inner.countEntries(id);
      counts.set(id, n);
      entries += n;
    }
    if (entries <= this.maxTotalEntries && this.totalBytes <= this.maxStoreBytes) return;
    for (const record of this.evictionOrder()) {
      const overEntries = entries - this.maxTotalEntries;
      const reason = overEntries > 0 ? 'total-entries' : this.totalBytes > this.maxStoreBytes ? 'store-bytes' : undefined;
      if (!reason) return;
      const ids = reason === 'total-entries'
        ? this.inner.oldestEntryIds(record.id, Math.min(overEntries, counts.get(record.id) ?? 0))
        : this.oldestOverBytes(record.id, this.totalBytes - this.maxStoreBytes);
      if (ids.length === 0) continue;
      this.removeEntries(record.id, ids);
      entries -= ids.length;
      this.evictedByBudget += ids.length;
      this.onEvicted?.({ sessionId: record.id, ids, reason });
    }
  }

  private evictionOrder(): SessionRecord[] {
    const stopped = this.inner.listSessions().filter((r) => r.status !== 'running');
    const running = this.inner.listSessions().filter((r) => r.status === 'running');
    stopped.sort((a, b) => (a.stoppedAt ?? a.startedAt).localeCompare(b.stoppedAt ?? b.startedAt));
    running.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    return [...stopped, ...running];
  }

  /** The session's oldest ids whose estimated bytes together reach `bytes` (or all of them). */
  private oldestOverBytes(sessionId: string, bytes: number): string[] {
    const ids: string[] = [];
    let freed = 0;
    for (let offset = 0; freed < bytes; offset += SCAN_PAGE) {
      const { entries } = this.inner.listEntries(sessionId, offset, SCAN_PAGE);
      for (const entry of entries) {
        ids.push(entry.id);
        freed += estimatedEntryBytes(entry);
        if (freed >= bytes) break;
      }
      if (entries.length < SCAN_PAGE) break;
    }
    return ids;
  }

  private enforceSessionLimit(sessionId: string): void {
    const excess = this.inner.countEntries(sessionId) - this.maxPerSession;
    if (excess <= 0) return;
    const ids = this.inner.oldestEntryIds(sessionId, excess);
    this.removeEntries(sessionId, ids);
    this.onEvicted?.({ sessionId, ids, reason: 'session-limit' });
  }

  private removeEntries(sessionId: string, ids: string[]): void {
    if (ids.length === 0) return;
    let bytes = 0;
    for (const id of ids) {
      const entry = this.inner.getEntry(sessionId, id);
      if (entry) bytes += estimatedEntryBytes(entry);
    }
    this.inner.deleteEntries(sessionId, ids);
    this.addBytes(sessionId, -bytes);
  }

  private addBytes(sessionId: string, delta: number): void {
    if (delta === 0) return;
    this.sessionBytes.set(sessionId, Math.max(0, (this.sessionBytes.get(sessionId) ?? 0) + delta));
    this.totalBytes = Math.max(0, this.totalBytes + delta);
  }

  async updateEntry(sessionId: string, entryId: string, patch: { tags?: string[]; notes?: string }): Promise<Entry | undefined> {
    return this.inner.updateEntry(sessionId, entryId, patch);
  }

  async deleteEntries(sessionId: string, entryIds: string[]): Promise<void> {
    this.removeEntries(sessionId, entryIds);
  }

  async getEntry(sessionId: string, entryId: string): Promise<Entry | undefined> {
    return this.inner.getEntry(sessionId, entryId);
  }

  async listEntries(sessionId: string, offset: number, limit: number): Promise<{ entries: Entry[]; total: number }> {
    return this.inner.listEntries(sessionId, offset, limit);
  }

  countEntries(sessionId: string): number {
    return this.inner.countEntries(sessionId);
  }

  /** The v1 full scan over decoded entries, a page at a time so the proxies and the API get turns meanwhile. */
  async searchEntries(sessionId: string, text: string, limit = DEFAULT_SEARCH_LIMIT): Promise<string[]> {
    const needle = text.toLowerCase();
    if (!needle || limit <= 0) return [];
    const ids: string[] = [];
    for (let offset = 0; ; offset += SCAN_PAGE) {
      const { entries, total } = this.inner.listEntries(sessionId, offset, SCAN_PAGE);
      for (const entry of entries) {
        if (!entryMatches(this.decoded(entry), needle)) continue;
        ids.push(entry.id);
        if (ids.length >= limit) return ids;
      }
      if (entries.length === 0 || offset + SCAN_PAGE >= total) return ids;
      await yieldToLoop();
    }
  }

  private decoded(entry: Entry): Entry {
    return entryWithBodies(entry, (side) => this.inner.readBody(entry.sessionId, entry.id, side));
  }

  async readBody(sessionId: string, entryId: string, side: BodySide): Promise<Buffer | undefined> {
    return this.inner.readBody(sessionId, entryId, side);
  }

  storageStatus(sessionId?: string): StorageStatus {
    return this.inner.storageStatus(sessionId);
  }

  usage(): StorageUsage {
    const sessions: SessionUsage[] = [];
    let entries = 0;
    for (const { id } of this.inner.listSessions()) {
      const count = this.inner.countEntries(id);
      entries += count;
      sessions.push({ sessionId: id, entries: count, bytes: this.sessionBytes.get(id) ?? 0 });
    }
    return {
      entries, bytes: this.totalBytes, maxEntries: this.maxTotalEntries, maxBytes: this.maxStoreBytes,
      evicted: this.evictedByBudget, sessions,
    };
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Whether the decoded entry's URL, headers, notes, tags, error or body text contain `needle` (lower case). */
function entryMatches(entry: Entry, needle: string): boolean {
  const has = (value: string | undefined) => value !== undefined && value.toLowerCase().includes(needle);
  if (has(entry.request.url) || has(entry.notes) || entry.tags.some(has)) return true;
  if (entry.request.headers.some(([k, v]) => has(k) || has(v))) return true;
  if (has(entry.request.body.text)) return true;
  const response = entry.response;
  if (!response) return has(entry.error?.message);
  return response.headers.some(([k, v]) => has(k) || has(v)) || has(response.body.text);
}
