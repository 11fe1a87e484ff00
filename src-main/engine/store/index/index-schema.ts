/**
 * The index database (sql.js, in the index worker), a real SQLite file in WAL mode (index/index.db, reached through
 * host-files.ts) attached to an empty in-memory connection as schema `idx`; unqualified names in queries resolve to
 * it. Only SQLite's page cache is in memory, so the index costs the same few MiB at 10k rows and at 1M.
 *
 * Size still matters (every page written goes through the WAL and is checkpointed once), so:
 * - sessions are numbered: a 36-character session id would otherwise be repeated in every row and three indexes;
 *   hosts too (few distinct, ~17 bytes each in every row);
 * - the search text is never stored: per session, contentless FTS4 tables, one per BUCKET_ROWS of seq, hold only
 *   the token index. Contentless FTS4 cannot delete, so a bucket is dropped whole once eviction passes its last seq
 *   (FIFO eviction makes that the common case) or its session is deleted; a row deleted singly leaves dead postings
 *   in its bucket that the join with `entries` filters out. Rowids are AUTOINCREMENT so a dead posting can never
 *   name a later row. matchinfo=fts3: no per-row docsize records (we never rank). The text they get is already
 *   tokenized and folded (search-text.ts), space-separated, so the `simple` tokenizer only splits at the spaces:
 *   cheaper than unicode61, and the query side is folded by the same code.
 * - tags and notes change (patch), so they have their own external-content FTS4 table over `entries`, which can
 *   delete; only annotated rows are in it.
 */
/**
 * 2: entry ids as blobs, paths without their query, bucket tables tokenized by `simple` over pre-folded tokens.
 * 3: hosts numbered (`hosts`), like sessions.
 * 4: the index is a file of its own in WAL mode, no longer a snapshot of an in-memory database; entry counts kept
 *    per session (no count(*) over the rows at open).
 */
export const SCHEMA_VERSION = 4;

export const PAGE_SIZE = 4096;

/** Rows per contentless FTS table: bounds dead postings after eviction and the cost of one FTS segment merge. */
export const BUCKET_ROWS = 50_000;

/** The schema name of the attached index file. */
export const SCHEMA_NAME = 'idx';

/**
 * Before the file is attached: exclusive locking (set first, it makes WAL keep its index in heap memory instead of
 * a shared-memory file, which sql.js cannot map), statement journals in memory.
 */
export const CONNECTION_PRAGMAS = 'PRAGMA locking_mode=EXCLUSIVE; PRAGMA temp_store=MEMORY;';

/**
 * The attached file: WAL (a commit appends its pages; a crash, kill -9 included, loses nothing committed; synchronous
 * NORMAL syncs at checkpoints, so a power cut may lose the last commits but never corrupts), a bounded page cache,
 * checkpoints every 4,000 pages (16 MiB), the WAL file cut back to 16 MiB after one, no mmap (sql.js cannot).
 */
export const FILE_PRAGMAS = [
  'PRAGMA idx.journal_mode=WAL', 'PRAGMA idx.synchronous=NORMAL', `PRAGMA idx.cache_size=-${16 * 1024}`,
  'PRAGMA wal_autocheckpoint=4000', `PRAGMA idx.journal_size_limit=${16 * 1024 * 1024}`, 'PRAGMA idx.mmap_size=0',
].join('; ');

export const SCHEMA = `
CREATE TABLE idx.meta (version INTEGER NOT NULL);
CREATE TABLE idx.sessions (num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, count INTEGER NOT NULL DEFAULT 0);
CREATE TABLE idx.hosts (num INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE idx.entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session INTEGER NOT NULL,
  entry_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  method TEXT NOT NULL,
  host INTEGER NOT NULL,
  path TEXT NOT NULL,
  status INTEGER,
  entry_type TEXT NOT NULL,
  req_size INTEGER NOT NULL,
  res_size INTEGER NOT NULL,
  duration_ms REAL NOT NULL,
  tags TEXT NOT NULL,
  notes TEXT NOT NULL,
  seg INTEGER NOT NULL,
  off INTEGER NOT NULL,
  len INTEGER NOT NULL,
  min_seg INTEGER NOT NULL,
  max_seg INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  external INTEGER NOT NULL
);
CREATE INDEX idx.entries_time ON entries(session, started_at, seq);
CREATE UNIQUE INDEX idx.entries_entry ON entries(session, entry_id);
CREATE UNIQUE INDEX idx.entries_seq ON entries(session, seq);
CREATE TABLE idx.watermarks (session TEXT PRIMARY KEY, segment INTEGER NOT NULL, offset INTEGER NOT NULL);
CREATE TABLE idx.fts_buckets (session INTEGER NOT NULL, bucket INTEGER NOT NULL, PRIMARY KEY (session, bucket));
CREATE VIRTUAL TABLE idx.notes_fts USING fts4(content='entries', tags, notes, tokenize=unicode61);
`;

/** Table names are built from integers only, never from user input. */
export function bucketTable(session: number, bucket: number): string {
  return `fts_${Math.trunc(session)}_${Math.trunc(bucket)}`;
}

export function bucketOf(seq: number): number {
  return Math.floor((seq - 1) / BUCKET_ROWS);
}

export function createBucketSql(session: number, bucket: number): string {
  return `CREATE VIRTUAL TABLE idx.${bucketTable(session, bucket)} USING fts4(content='', matchinfo=fts3, t, tokenize=simple)`;
}
