/**
 * The index database itself, synchronous: only the index worker uses it (index-worker.ts), never the main thread.
 * It is a real file (see index-schema.ts and host-files.ts); every write call is one transaction. Its parts: the
 * prepared statements (sql-statements.ts), the in-memory mirrors of its small tables (index-catalog.ts), the
 * reads (index-queries.ts) and how ids and places are stored (index-refs.ts).
 */
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import { IndexCatalog } from './index-catalog.js';
import { clampWatermark, rowsPastLog } from './index-past-log.js';
import { IndexQueries } from './index-queries.js';
import { REF_COLUMNS, idKey, idString, pathOnly, toRef } from './index-refs.js';
import { BUCKET_ROWS, CONNECTION_PRAGMAS, FILE_PRAGMAS, PAGE_SIZE, SCHEMA, SCHEMA_NAME, SCHEMA_VERSION, bucketOf } from './index-schema.js';
import type { IndexedRef, IndexOpenResult, IndexRow, LogExtent, Watermarks } from './index-types.js';
import { indexText } from './search-text.js';
import { SqlStatements } from './sql-statements.js';

export { idKey, idString } from './index-refs.js';

export class IndexVersionError extends Error {}

/** SQLite's words for a file that is not a sound database (the worker moves such a file aside and starts over). */
export function isCorruption(error: unknown): boolean {
  return /malformed|not a database|SQLITE_CORRUPT|SQLITE_NOTADB|file is not a database/i.test(String((error as Error)?.message ?? error));
}

export class IndexDb {
  private readonly sql: SqlStatements;
  private readonly catalog: IndexCatalog;
  private readonly queries: IndexQueries;

  private constructor(private readonly db: Database) {
    this.sql = new SqlStatements(db);
    this.catalog = new IndexCatalog(this.sql);
    this.queries = new IndexQueries(this.sql, this.catalog);
  }

  /**
   * Opens (or creates) the index file at `hostPath` (a path through host-files.ts). Throws IndexVersionError for an
   * index of another schema version, and SQLite's own error for a file that is not a sound database.
   */
  static open(SQL: SqlJsStatic, hostPath: string): IndexDb {
    const db = new SQL.Database();
    try {
      db.exec(CONNECTION_PRAGMAS);
      db.run(`ATTACH DATABASE ? AS ${SCHEMA_NAME}`, [hostPath]);
      const index = new IndexDb(db);
      const fresh = Number(db.exec(`SELECT count(*) FROM ${SCHEMA_NAME}.sqlite_master`)[0]?.values[0]?.[0] ?? 0) === 0;
      if (fresh) {
        // The page size must be set before the first page is written.
        db.exec(`PRAGMA ${SCHEMA_NAME}.page_size=${PAGE_SIZE}; ${FILE_PRAGMAS}`);
        db.exec(`BEGIN; ${SCHEMA} INSERT INTO ${SCHEMA_NAME}.meta (version) VALUES (${SCHEMA_VERSION}); COMMIT;`);
      } else {
        // The version first: an older index is rebuilt, and must not be converted to WAL on the way.
        index.checkVersion();
        db.exec(FILE_PRAGMAS);
        index.catalog.load();
      }
      return index;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private checkVersion(): void {
    let version: SqlValue | undefined;
    try {
      version = this.db.exec(`SELECT version FROM ${SCHEMA_NAME}.meta`)[0]?.values[0]?.[0];
    } catch (error) {
      if (/no such table/.test(String((error as Error).message))) throw new IndexVersionError('not an index (no version)');
      throw error;
    }
    if (version !== SCHEMA_VERSION) throw new IndexVersionError(`index version ${String(version)}, expected ${SCHEMA_VERSION}`);
  }

  close(): void {
    this.sql.freeAll();
    this.db.close();
  }

  /** Copies every page the WAL holds into the file and empties the WAL (a clean shutdown, or on request). */
  checkpoint(mode: 'PASSIVE' | 'TRUNCATE' = 'TRUNCATE'): void {
    this.db.exec(`PRAGMA ${SCHEMA_NAME}.wal_checkpoint(${mode})`);
  }

  /** Rows in every session together. */
  totalRows(): number {
    return this.catalog.totalRows();
  }

  summary(): IndexOpenResult {
    const watermarks: Watermarks = {};
    for (const [session, segment, offset] of this.sql.all('SELECT session, segment, offset FROM watermarks', [])) {
      watermarks[String(session)] = { segment: Number(segment), offset: Number(offset) };
    }
    const counts: Record<string, number> = {};
    for (const [id, num] of this.catalog.sessions()) counts[id] = this.catalog.count(num);
    return { watermarks, counts };
  }

  /** Bytes of the index file's pages: in use, and free for reuse. */
  pageBytes(): { used: number; free: number } {
    const value = (sql: string) => Number(this.db.exec(sql)[0]?.values[0]?.[0] ?? 0);
    const size = value(`PRAGMA ${SCHEMA_NAME}.page_size`);
    const free = value(`PRAGMA ${SCHEMA_NAME}.freelist_count`) * size;
    return { used: value(`PRAGMA ${SCHEMA_NAME}.page_count`) * size - free, free };
  }

  private transaction<T>(work: () => T): T {
    this.db.exec('BEGIN');
    try {
      const result = work();
      this.catalog.writeCounts();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      // After an out-of-memory error SQLite may have rolled back already: keep the first error.
      try {
        this.db.exec('ROLLBACK');
      } catch { /* no transaction left */ }
      // Sessions, hosts, buckets and counts added inside the rolled-back transaction must not stay in the caches.
      try {
        this.catalog.load();
      } catch { /* keep the first error */ }
      throw error;
    }
  }

  insert(rows: IndexRow[], through: Watermarks): void {
    this.insertBatches([{ rows, through }]);
  }

  /** Several insert batches in one transaction (in order: a later batch's watermark wins). */
  insertBatches(batches: ReadonlyArray<{ rows: IndexRow[]; through: Watermarks }>): void {
    this.transaction(() => {
      const ends: Watermarks = {};
      for (const { rows, through } of batches) {
        for (const row of rows) this.insertRow(row);
        Object.assign(ends, through);
      }
      for (const [sessionId, pos] of Object.entries(ends)) {
        this.sql.run('INSERT INTO watermarks (session, segment, offset) VALUES (?, ?, ?) ON CONFLICT(session) DO UPDATE SET segment = excluded.segment, offset = excluded.offset',
          [sessionId, pos.segment, pos.offset]);
      }
    });
  }

  /** A row already indexed (a replay over what the index already holds) is left as it is. */
  private insertRow(row: IndexRow): void {
    const session = this.catalog.ensureSession(row.sessionId);
    const tags = row.tags.length > 0 ? JSON.stringify(row.tags) : '';
    // RETURNING runs the insert as a subquery-like buffered statement: measured 4x slower than run() + rowid here.
    const inserted = this.sql.run(
      `INSERT INTO entries (session, entry_id, seq, started_at, method, host, path, status, entry_type, req_size,
        res_size, duration_ms, tags, notes, seg, off, len, min_seg, max_seg, bytes, external)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [session, idKey(row.entryId), row.seq, row.startedAt, row.method, this.catalog.ensureHost(row.host), pathOnly(row.path), row.status ?? null, row.entryType,
        row.requestSize, row.responseSize, row.durationMs, tags, row.notes, row.loc.segment, row.loc.offset,
        row.loc.length, row.minSegment ?? row.loc.segment, row.maxSegment, row.bytes, row.externalBodies ? 1 : 0],
    );
    if (inserted === 0) return;
    const id = Number(this.sql.first('SELECT last_insert_rowid()', [])![0]);
    this.catalog.changeCount(session, 1);
    const table = this.catalog.ensureBucket(session, bucketOf(row.seq));
    this.sql.run(`INSERT INTO ${table} (docid, t) VALUES (?, ?)`, [id, indexText(row.search)]);
    if (tags || row.notes) this.sql.run('INSERT INTO notes_fts (docid, tags, notes) VALUES (?, ?, ?)', [id, tags, row.notes]);
  }

  /** Annotated rows are in notes_fts, which reads the row's current text to delete it: call before changing the row. */
  private unindexNotes(id: number, tags: SqlValue, notes: SqlValue): void {
    if (tags || notes) this.sql.run('DELETE FROM notes_fts WHERE docid = ?', [id]);
  }

  patch(sessionId: string, entryId: string, patch: { tags?: string[]; notes?: string }): void {
    const session = this.catalog.sessionNum(sessionId);
    if (session === undefined) return;
    this.transaction(() => {
      const row = this.sql.first('SELECT id, tags, notes FROM entries WHERE session = ? AND entry_id = ?', [session, idKey(entryId)]);
      if (!row) return;
      const id = Number(row[0]);
      const tags = patch.tags === undefined ? String(row[1]) : patch.tags.length > 0 ? JSON.stringify(patch.tags) : '';
      const notes = patch.notes ?? String(row[2]);
      this.unindexNotes(id, row[1]!, row[2]!);
      this.sql.run('UPDATE entries SET tags = ?, notes = ? WHERE id = ?', [tags, notes, id]);
      if (tags || notes) this.sql.run('INSERT INTO notes_fts (docid, tags, notes) VALUES (?, ?, ?)', [id, tags, notes]);
    });
  }

  deleteEntries(sessionId: string, entryIds: string[]): IndexedRef[] {
    const session = this.catalog.sessionNum(sessionId);
    if (session === undefined) return [];
    return this.transaction(() => {
      const refs: IndexedRef[] = [];
      for (const entryId of new Set(entryIds)) {
        const row = this.sql.first(`SELECT ${REF_COLUMNS}, e.id, e.tags, e.notes FROM entries e WHERE e.session = ? AND e.entry_id = ?`, [session, idKey(entryId)]);
        if (!row) continue;
        this.unindexNotes(Number(row[5]), row[6]!, row[7]!);
        this.sql.run('DELETE FROM entries WHERE id = ?', [Number(row[5])]);
        refs.push(toRef(row));
      }
      this.catalog.changeCount(session, -refs.length);
      return refs;
    });
  }

  deleteSession(sessionId: string): void {
    const session = this.catalog.sessionNum(sessionId);
    if (session === undefined) return;
    this.transaction(() => {
      this.unindexAnnotated(session, Number.MAX_SAFE_INTEGER);
      this.sql.run('DELETE FROM entries WHERE session = ?', [session]);
      for (const bucket of [...this.catalog.bucketSet(session)]) this.catalog.dropBucket(session, bucket);
      this.sql.run('DELETE FROM watermarks WHERE session = ?', [sessionId]);
      this.sql.run('DELETE FROM sessions WHERE num = ?', [session]);
    });
    this.catalog.dropSession(sessionId, session);
  }

  private unindexAnnotated(session: number, throughSeq: number): void {
    const annotated = this.sql.all("SELECT id, tags, notes FROM entries WHERE session = ? AND seq <= ? AND (tags != '' OR notes != '')", [session, throughSeq]);
    for (const [id, tags, notes] of annotated) this.unindexNotes(Number(id), tags!, notes!);
  }

  evictThrough(sessionId: string, throughSeq: number): { ids: string[]; bytes: number } {
    const session = this.catalog.sessionNum(sessionId);
    if (session === undefined) return { ids: [], bytes: 0 };
    return this.transaction(() => {
      const rows = this.sql.all('SELECT entry_id, bytes FROM entries WHERE session = ? AND seq <= ?', [session, throughSeq]);
      this.unindexAnnotated(session, throughSeq);
      this.catalog.changeCount(session, -this.sql.run('DELETE FROM entries WHERE session = ? AND seq <= ?', [session, throughSeq]));
      // A bucket whose every seq is at or below throughSeq can hold no live row any more.
      for (const bucket of [...this.catalog.bucketSet(session)]) {
        if ((bucket + 1) * BUCKET_ROWS <= throughSeq) this.catalog.dropBucket(session, bucket);
      }
      return { ids: rows.map((r) => idString(r[0])), bytes: rows.reduce((sum, r) => sum + Number(r[1]), 0) };
    });
  }

  /**
   * At open, once the session's log has cut its torn tail: deletes the rows of records the log does not hold and
   * brings the watermark back to the log's end (see index-past-log.ts). Answers the ids deleted, and the watermark
   * when it was moved.
   */
  dropPastLog(sessionId: string, extent: LogExtent): { ids: string[]; watermark?: LogExtent['end'] } {
    const session = this.catalog.sessionNum(sessionId);
    return this.transaction(() => {
      const watermark = clampWatermark(this.sql, sessionId, extent.end);
      const past = session === undefined ? [] : rowsPastLog(this.sql, session, extent);
      for (const [id, , tags, notes] of past) {
        this.unindexNotes(Number(id), tags, notes);
        this.sql.run('DELETE FROM entries WHERE id = ?', [Number(id)]);
      }
      if (session !== undefined && past.length > 0) this.catalog.changeCount(session, -past.length);
      return { ids: past.map((row) => idString(row[1])), ...(watermark ? { watermark } : {}) };
    });
  }

  // ---- reads (index-queries.ts) ----

  nthSeq(sessionId: string, n: number): number | undefined {
    return this.queries.nthSeq(sessionId, n);
  }

  lowestLiveSegment(sessionId: string): number | undefined {
    return this.queries.lowestLiveSegment(sessionId);
  }

  maxSeqThroughSegment(sessionId: string, segment: number): number | undefined {
    return this.queries.maxSeqThroughSegment(sessionId, segment);
  }

  get(sessionId: string, entryId: string): IndexedRef | undefined {
    return this.queries.get(sessionId, entryId);
  }

  list(sessionId: string, offset: number, limit: number): { refs: IndexedRef[]; total: number } {
    return this.queries.list(sessionId, offset, limit);
  }

  listAfter(sessionId: string, after: { startedAt: number; seq: number } | undefined, limit: number): IndexedRef[] {
    return this.queries.listAfter(sessionId, after, limit);
  }

  search(sessionId: string, text: string, limit: number): IndexedRef[] {
    return this.queries.search(sessionId, text, limit);
  }
}
