/**
 * The index database (sql.js, in the index worker). Everything lives in the connection's `temp` schema (see
 * ../memory-db.ts for why); unqualified names in queries resolve to it.
 *
 * Memory is the constraint (1M rows in a few hundred MiB), so:
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
 */
export const SCHEMA_VERSION = 3;

export const PAGE_SIZE = 4096;

/** Rows per contentless FTS table: bounds dead postings after eviction and the cost of one FTS segment merge. */
export const BUCKET_ROWS = 50_000;

export const CONNECTION_PRAGMAS =
  'PRAGMA temp_store=MEMORY; PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;';

export const SCHEMA = `
CREATE TABLE temp.meta (version INTEGER NOT NULL);
CREATE TABLE temp.sessions (num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE);
CREATE TABLE temp.hosts (num INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE temp.entries (
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
CREATE INDEX temp.entries_time ON entries(session, started_at, seq);
CREATE UNIQUE INDEX temp.entries_entry ON entries(session, entry_id);
CREATE UNIQUE INDEX temp.entries_seq ON entries(session, seq);
CREATE TABLE temp.watermarks (session TEXT PRIMARY KEY, segment INTEGER NOT NULL, offset INTEGER NOT NULL);
CREATE TABLE temp.fts_buckets (session INTEGER NOT NULL, bucket INTEGER NOT NULL, PRIMARY KEY (session, bucket));
CREATE VIRTUAL TABLE temp.notes_fts USING fts4(content='entries', tags, notes, tokenize=unicode61);
`;

/** Table names are built from integers only, never from user input. */
export function bucketTable(session: number, bucket: number): string {
  return `fts_${Math.trunc(session)}_${Math.trunc(bucket)}`;
}

export function bucketOf(seq: number): number {
  return Math.floor((seq - 1) / BUCKET_ROWS);
}

export function createBucketSql(session: number, bucket: number): string {
  return `CREATE VIRTUAL TABLE temp.${bucketTable(session, bucket)} USING fts4(content='', matchinfo=fts3, t, tokenize=simple)`;
}
