import type { Entry, Session, StorageStatus, StorageUsage } from '../../../src-shared/model.js';

/** What the store keeps of a session: the API's Session without what is derived when it is listed. */
export type SessionRecord = Omit<Session, 'proxyUrl' | 'entryCount' | 'storage'>;

export type BodySide = 'request' | 'response';

/**
 * Raw (still content-encoded) captured bytes of an exchange, at most the capture limit each. A body may come as
 * the chunks it arrived in: a large one then goes to its file with one gathered write, never joined in memory.
 */
export type BodyBytes = Buffer | readonly Buffer[];

/** A large body another process already wrote to the store's own file for it (see bodyFilePath). */
export interface WrittenBody {
  written: number;
}

export interface EntryBodies {
  request?: BodyBytes | WrittenBody;
  response?: BodyBytes | WrittenBody;
}

export function isWrittenBody(body: BodyBytes | WrittenBody): body is WrittenBody {
  return !Buffer.isBuffer(body) && !Array.isArray(body);
}

/** Bodies larger than this live in files beside the database (StoreOpenOptions.inlineBodyLimit's default). */
export const DEFAULT_INLINE_BODY_LIMIT = 16 * 1024;

export function bodyLength(bytes: BodyBytes): number {
  if (Buffer.isBuffer(bytes)) return bytes.length;
  let n = 0;
  for (const chunk of bytes as readonly Buffer[]) n += chunk.length;
  return n;
}

export function joinBody(bytes: BodyBytes): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  const chunks = bytes as readonly Buffer[];
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Why entries were evicted: the session's own limit, or a store-wide budget. */
export type EvictionReason = 'session-limit' | 'total-entries' | 'store-bytes' | 'expired';

export interface EvictionNotice {
  sessionId: string;
  ids: string[];
  reason: EvictionReason;
}

/** Store-wide budgets when none is given (RecorderLimits' defaults too). */
export const DEFAULT_MAX_TOTAL_ENTRIES = 1_000_000;
export const DEFAULT_MAX_STORE_BYTES = 2 * 1024 * 1024 * 1024;

/** The limits a RecorderStore enforces itself, and where it reports what they evicted. */
export interface StoreBudgetOptions {
  /** FIFO per session: past this many entries the oldest go (reason `session-limit`). */
  maxEntriesPerSession?: number;
  /** Entries in the whole store (reason `total-entries`). */
  maxTotalEntries?: number;
  /** Bytes on disk of the whole store (reason `store-bytes`). */
  maxStoreBytes?: number;
  /** Called once per eviction pass and session, after the entries are gone from every read. */
  onEvicted?: (notice: EvictionNotice) => void;
}

/**
 * The history store. Sessions and counts live in memory and answer synchronously; everything about entries is
 * asynchronous (the index runs in a worker, entries and bodies are read from the session logs). `insertEntries`
 * never waits: it queues, and every read issued after it sees what it queued.
 * Entries are stored without `text`/`base64` in their BodyInfo: bodies are kept as raw bytes and decoded on read.
 */
export interface RecorderStore {
  upsertSession(record: SessionRecord): void;
  getSession(id: string): SessionRecord | undefined;
  listSessions(): SessionRecord[];
  /** Removes the session, its entries and their bytes on disk. */
  deleteSession(id: string): Promise<void>;

  /** Queues entries for the log and the index; enforces the budgets (evictions reach `onEvicted`). Never waits. */
  insertEntries(items: ReadonlyArray<{ entry: Entry; bodies: EntryBodies }>): void;
  updateEntry(sessionId: string, entryId: string, patch: { tags?: string[]; notes?: string }): Promise<Entry | undefined>;
  deleteEntries(sessionId: string, entryIds: string[]): Promise<void>;
  getEntry(sessionId: string, entryId: string): Promise<Entry | undefined>;
  /** Chronological by request start (ties in arrival order), oldest first. */
  listEntries(sessionId: string, offset: number, limit: number): Promise<{ entries: Entry[]; total: number }>;
  countEntries(sessionId: string): number;
  /** Ids of the session's entries whose URL, headers, notes, tags or decoded body text contain `text`, oldest first. */
  searchEntries(sessionId: string, text: string, limit?: number): Promise<string[]>;
  /**
   * The raw bytes; undefined when there are none. A body found missing or damaged marks the entry's body
   * `lost` (and the entry `bodyLost`), so a later getEntry says why there are no bytes.
   */
  readBody(sessionId: string, entryId: string, side: BodySide): Promise<Buffer | undefined>;
  /** Whether writes reach the disk; `droppedBodies` counts one session's when given, else all. */
  storageStatus(sessionId?: string): StorageStatus;
  /** Entries and bytes per session and in total, against the budgets. */
  usage(): StorageUsage;

  /** Make everything written so far durable now. */
  flush(): Promise<void>;
  /** Flush and release; the store is unusable afterwards. */
  close(): Promise<void>;
}

/**
 * The v1 history store (SqlJsStore: journal + snapshot; kept to read and migrate old data dirs). Reads and writes are synchronous against the in-memory database so the capture path never
 * waits on disk; durability is the store's own business (journal + periodic snapshot, see sqljs-store.ts).
 * Entries are stored without `text`/`base64` in their BodyInfo: bodies are kept as raw bytes and decoded on read.
 */
export interface LegacySyncStore {
  upsertSession(record: SessionRecord): void;
  getSession(id: string): SessionRecord | undefined;
  listSessions(): SessionRecord[];
  /** Removes the session, its entries and their body files. */
  deleteSession(id: string): void;

  insertEntry(entry: Entry, bodies: EntryBodies): void;
  /** Several entries in one transaction (the capture path batches: one commit per batch, not per exchange). */
  insertEntries(items: ReadonlyArray<{ entry: Entry; bodies: EntryBodies }>): void;
  updateEntry(sessionId: string, entryId: string, patch: { tags?: string[]; notes?: string }): Entry | undefined;
  deleteEntries(sessionId: string, entryIds: string[]): void;
  getEntry(sessionId: string, entryId: string): Entry | undefined;
  /** Chronological by request start (ties in arrival order), oldest first. */
  listEntries(sessionId: string, offset: number, limit: number): { entries: Entry[]; total: number };
  countEntries(sessionId: string): number;
  /** The `count` oldest entry ids of a session, oldest first (for FIFO eviction). */
  oldestEntryIds(sessionId: string, count: number): string[];
  /**
   * The raw bytes; undefined when there are none. A body file found missing or short marks the entry's body
   * `lost` (and the entry `bodyLost`), so a later getEntry says why there are no bytes.
   */
  readBody(sessionId: string, entryId: string, side: BodySide): Buffer | undefined;
  /** Whether writes reach the disk; `droppedBodies` counts one session's when given, else all. */
  storageStatus(sessionId?: string): StorageStatus;

  /** Make everything written so far durable now. */
  flush(): Promise<void>;
  /** Flush and release; the store is unusable afterwards. */
  close(): Promise<void>;
}

export interface StoreOpenOptions {
  dataDir: string;
  /** Bodies larger than this live in files beside the database, not in it. Default 16 KiB. */
  inlineBodyLimit?: number;
  /** How often buffered journal writes are fsync'd. Default 250 ms (the spec allows losing ~1 s). */
  journalFlushMs?: number;
  /** Write a fresh snapshot once the journal grows past this many bytes. Default 8 MiB. */
  snapshotJournalBytes?: number;
  /**
   * Memory for bodies and journal lines waiting for the disk (slow, full or read-only): bodies that would exceed
   * it are dropped, and flagged so on their entries, which are kept. Default 128 MiB.
   */
  maxPendingBytes?: number;
  /** Warnings for people (e.g. a corrupt database moved aside). Default: console.warn. */
  onWarning?: (message: string) => void;
}
