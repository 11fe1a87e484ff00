/**
 * What the parts of the history store share (segment-store.ts is the store; store-writer.ts, store-budgets.ts,
 * store-replay.ts, store-reader.ts and write-health.ts its parts): the options, the sessions and their logs, the
 * index client, the annotations and the cache of parsed entries. Each part is given this one object.
 */
import * as path from 'node:path';
import type { Entry } from '../../../src-shared/model.js';
import type { Annotations } from './annotations.js';
import { safeFileName } from './fs-util.js';
import type { IndexClient, IndexRow } from './index/index-types.js';
import { openSessionLog } from './segments/segment-log.js';
import type { SessionLog } from './segments/segment-types.js';
import type { StoredEntry } from './stored-entry.js';
import type { EntryBodies, EvictionNotice, SessionRecord } from './store-types.js';

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

export type ResolvedStoreOptions = Required<Pick<SegmentStoreOptions, 'maxTotalEntries' | 'maxStoreBytes' | 'maxPendingBytes' | 'flushMs'>> & SegmentStoreOptions;

export const SESSIONS_DIR = 'sessions';
export const INDEX_DIR = 'index';
/**
 * Parsed entries kept in memory: recently read ones. New entries are not put here: at thousands per second each
 * would live past a few young-generation collections and be copied into the old one, the main thread's costliest
 * GC work; a read of one still in the write queue is answered from memory by the log anyway.
 */
const CACHE_ENTRIES = 1024;

export interface Item {
  entry: Entry;
  bodies: EntryBodies;
}

/** The header every segment starts with (a Session record): the session, and the numbering carried across. */
export interface SegmentHeader {
  record: SessionRecord;
  lastSeq: number;
  evictedThrough: number;
}

export class SessionState {
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

/** The recently read parsed entries, least recently read dropped first. */
export class EntryCache {
  private readonly entries = new Map<string, StoredEntry>();

  get(sessionId: string, entryId: string): StoredEntry | undefined {
    return this.entries.get(keyOf(sessionId, entryId));
  }

  has(sessionId: string, entryId: string): boolean {
    return this.entries.has(keyOf(sessionId, entryId));
  }

  remember(sessionId: string, entryId: string, stored: StoredEntry): void {
    const key = keyOf(sessionId, entryId);
    this.entries.delete(key);
    this.entries.set(key, stored);
    if (this.entries.size > CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  forget(sessionId: string, entryIds: readonly string[]): void {
    for (const id of entryIds) this.entries.delete(keyOf(sessionId, id));
  }

  forgetSession(sessionId: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${sessionId}\u0000`)) this.entries.delete(key);
  }
}

function keyOf(sessionId: string, entryId: string): string {
  return `${sessionId}\u0000${entryId}`;
}

export class StoreContext {
  readonly sessions = new Map<string, SessionRecord>();
  readonly states = new Map<string, SessionState>();
  readonly cache = new EntryCache();
  closed = false;

  constructor(
    readonly dataDir: string,
    /** Replaced when a dead index worker is restarted. */
    public index: IndexClient,
    readonly annotations: Annotations,
    readonly options: ResolvedStoreOptions,
    readonly warn: (message: string) => void,
  ) {}

  /** Opens (or creates) the log of session `id`; `onWriteState` hears of its write failures and recoveries. */
  async openState(id: string, onWriteState: (error: Error | undefined) => void): Promise<SessionState> {
    const dir = path.join(this.dataDir, SESSIONS_DIR, safeFileName(id));
    const state = new SessionState(id, dir);
    state.log = await openSessionLog({
      dir,
      segmentBytes: this.options.segmentBytes ?? Math.max(1024 * 1024, Math.min(32 * 1024 * 1024, Math.floor(this.options.maxStoreBytes / 16))),
      flushMs: this.options.flushMs,
      onWarning: this.warn,
      onWriteState,
    });
    this.states.set(id, state);
    return state;
  }

  totalEntries(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.count;
    return n;
  }

  totalBytes(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.log.totalBytes + s.externalBytes;
    return n;
  }

  pendingBytes(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.log.pendingBytes;
    return n;
  }
}
