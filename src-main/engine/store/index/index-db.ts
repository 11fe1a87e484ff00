/**
 * The index database itself, synchronous: only the index worker uses it (index-worker.ts), never the main thread.
 * It is a real file (see index-schema.ts and host-files.ts); every write call is one transaction.
 */
import type { Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';
import type { IndexedRef, IndexOpenResult, IndexRow, Watermarks } from './index-types.js';
import {
  BUCKET_ROWS, CONNECTION_PRAGMAS, FILE_PRAGMAS, PAGE_SIZE, SCHEMA, SCHEMA_NAME, SCHEMA_VERSION, bucketOf, bucketTable, createBucketSql,
} from './index-schema.js';
import { indexText, queryTerms } from './search-text.js';

const REF_COLUMNS = 'e.entry_id, e.seq, e.seg, e.off, e.len';

/** The query string is searchable through the FTS text; filters match paths without it (as the UI's path: does). */
function pathOnly(path: string): string {
  const query = path.indexOf('?');
  return query < 0 ? path : path.slice(0, query);
}

export class IndexVersionError extends Error {}

/** SQLite's words for a file that is not a sound database (the worker moves such a file aside and starts over). */
export function isCorruption(error: unknown): boolean {
  return /malformed|not a database|SQLITE_CORRUPT|SQLITE_NOTADB|file is not a database/i.test(String((error as Error)?.message ?? error));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Entry ids are stored as 16-byte blobs when they are lowercase UUIDs (what the recorder makes), as text otherwise:
 * 20 bytes less in the row and again in its unique index. Only the canonical form is packed, so it round-trips.
 */
export function idKey(entryId: string): string | Uint8Array {
  return UUID.test(entryId) ? Buffer.from(entryId.replace(/-/g, ''), 'hex') : entryId;
}

export function idString(value: SqlValue | undefined): string {
  if (!(value instanceof Uint8Array)) return String(value);
  const hex = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function toRef(row: SqlValue[]): IndexedRef {
  return {
    entryId: idString(row[0]),
    seq: Number(row[1]),
    loc: { segment: Number(row[2]), offset: Number(row[3]), length: Number(row[4]) },
  };
}

export class IndexDb {
  private readonly sessionNums = new Map<string, number>();
  private readonly hostNums = new Map<string, number>();
  /** Bucket numbers per session number. */
  private readonly buckets = new Map<number, Set<number>>();
  private readonly counts = new Map<number, number>();
  private readonly statements = new Map<string, Statement>();
  /** Sessions whose count changed in the running transaction (written before it commits). */
  private readonly dirtyCounts = new Set<number>();

  private constructor(private readonly db: Database) {}

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
        index.loadCaches();
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

  /** The in-memory mirrors of small tables: at open, and after a rollback (which undoes what they were told). */
  private loadCaches(): void {
    this.sessionNums.clear();
    this.hostNums.clear();
    this.buckets.clear();
    this.counts.clear();
    this.dirtyCounts.clear();
    for (const [num, id, count] of this.all('SELECT num, id, count FROM sessions', [])) {
      this.sessionNums.set(String(id), Number(num));
      this.counts.set(Number(num), Number(count));
    }
    for (const [num, name] of this.all('SELECT num, name FROM hosts', [])) this.hostNums.set(String(name), Number(num));
    for (const [session, bucket] of this.all('SELECT session, bucket FROM fts_buckets', [])) this.bucketSet(Number(session)).add(Number(bucket));
  }

  close(): void {
    for (const statement of this.statements.values()) statement.free();
    this.statements.clear();
    this.db.close();
  }

  /** Copies every page the WAL holds into the file and empties the WAL (a clean shutdown, or on request). */
  checkpoint(mode: 'PASSIVE' | 'TRUNCATE' = 'TRUNCATE'): void {
    this.db.exec(`PRAGMA ${SCHEMA_NAME}.wal_checkpoint(${mode})`);
  }

  /** Rows in every session together. */
  totalRows(): number {
    let n = 0;
    for (const count of this.counts.values()) n += count;
    return n;
  }

  summary(): IndexOpenResult {
    const watermarks: Watermarks = {};
    for (const [session, segment, offset] of this.all('SELECT session, segment, offset FROM watermarks', [])) {
      watermarks[String(session)] = { segment: Number(segment), offset: Number(offset) };
    }
    const counts: Record<string, number> = {};
    for (const [id, num] of this.sessionNums) counts[id] = this.counts.get(num) ?? 0;
    return { watermarks, counts };
  }

  /** Bytes of the index file's pages: in use, and free for reuse. */
  pageBytes(): { used: number; free: number } {
    const value = (sql: string) => Number(this.db.exec(sql)[0]?.values[0]?.[0] ?? 0);
    const size = value(`PRAGMA ${SCHEMA_NAME}.page_size`);
    const free = value(`PRAGMA ${SCHEMA_NAME}.freelist_count`) * size;
    return { used: value(`PRAGMA ${SCHEMA_NAME}.page_count`) * size - free, free };
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private all(sql: string, params: SqlValue[]): SqlValue[][] {
    const statement = this.statement(sql);
    try {
      statement.bind(params);
      const rows: SqlValue[][] = [];
      while (statement.step()) rows.push(statement.get());
      return rows;
    } finally {
      statement.reset();
    }
  }

  private first(sql: string, params: SqlValue[]): SqlValue[] | undefined {
    const statement = this.statement(sql);
    try {
      statement.bind(params);
      return statement.step() ? statement.get() : undefined;
    } finally {
      statement.reset();
    }
  }

  private run(sql: string, params: SqlValue[]): number {
    this.statement(sql).run(params);
    return this.db.getRowsModified();
  }

  private transaction<T>(work: () => T): T {
    this.db.exec('BEGIN');
    try {
      const result = work();
      for (const session of this.dirtyCounts) this.run('UPDATE sessions SET count = ? WHERE num = ?', [this.counts.get(session) ?? 0, session]);
      this.dirtyCounts.clear();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      // After an out-of-memory error SQLite may have rolled back already: keep the first error.
      try {
        this.db.exec('ROLLBACK');
      } catch { /* no transaction left */ }
      // Sessions, hosts, buckets and counts added inside the rolled-back transaction must not stay in the caches.
      try {
        this.loadCaches();
      } catch { /* keep the first error */ }
      throw error;
    }
  }

  private bucketSet(session: number): Set<number> {
    let set = this.buckets.get(session);
    if (!set) {
      set = new Set();
      this.buckets.set(session, set);
    }
    return set;
  }

  private sessionNum(sessionId: string): number | undefined {
    return this.sessionNums.get(sessionId);
  }

  private ensureSession(sessionId: string): number {
    let num = this.sessionNums.get(sessionId);
    if (num === undefined) {
      num = Number(this.first('INSERT INTO sessions (id) VALUES (?) RETURNING num', [sessionId])![0]);
      this.sessionNums.set(sessionId, num);
    }
    return num;
  }

  /** Hosts are never deleted: few, and a number must not come to mean another host in rows a replay may bring back. */
  private ensureHost(host: string): number {
    let num = this.hostNums.get(host);
    if (num === undefined) {
      num = Number(this.first('INSERT INTO hosts (name) VALUES (?) RETURNING num', [host])![0]);
      this.hostNums.set(host, num);
    }
    return num;
  }

  private ensureBucket(session: number, bucket: number): string {
    const set = this.bucketSet(session);
    if (!set.has(bucket)) {
      this.db.exec(createBucketSql(session, bucket));
      this.run('INSERT INTO fts_buckets (session, bucket) VALUES (?, ?)', [session, bucket]);
      set.add(bucket);
    }
    return bucketTable(session, bucket);
  }

  private dropBucket(session: number, bucket: number): void {
    const table = bucketTable(session, bucket);
    for (const [sql, statement] of this.statements) {
      if (sql.includes(` ${table}`)) {
        statement.free();
        this.statements.delete(sql);
      }
    }
    this.db.exec(`DROP TABLE ${SCHEMA_NAME}.${table}`);
    this.run('DELETE FROM fts_buckets WHERE session = ? AND bucket = ?', [session, bucket]);
    this.buckets.get(session)?.delete(bucket);
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
        this.run('INSERT INTO watermarks (session, segment, offset) VALUES (?, ?, ?) ON CONFLICT(session) DO UPDATE SET segment = excluded.segment, offset = excluded.offset',
          [sessionId, pos.segment, pos.offset]);
      }
    });
  }

  /** A row already indexed (a replay over what a snapshot holds) is left as it is. */
  private insertRow(row: IndexRow): void {
    const session = this.ensureSession(row.sessionId);
    const tags = row.tags.length > 0 ? JSON.stringify(row.tags) : '';
    // RETURNING runs the insert as a subquery-like buffered statement: measured 4x slower than run() + rowid here.
    const inserted = this.run(
      `INSERT INTO entries (session, entry_id, seq, started_at, method, host, path, status, entry_type, req_size,
        res_size, duration_ms, tags, notes, seg, off, len, min_seg, max_seg, bytes, external)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [session, idKey(row.entryId), row.seq, row.startedAt, row.method, this.ensureHost(row.host), pathOnly(row.path), row.status ?? null, row.entryType,
        row.requestSize, row.responseSize, row.durationMs, tags, row.notes, row.loc.segment, row.loc.offset,
        row.loc.length, row.minSegment ?? row.loc.segment, row.maxSegment, row.bytes, row.externalBodies ? 1 : 0],
    );
    if (inserted === 0) return;
    const id = Number(this.first('SELECT last_insert_rowid()', [])![0]);
    this.counts.set(session, (this.counts.get(session) ?? 0) + 1);
    this.dirtyCounts.add(session);
    const table = this.ensureBucket(session, bucketOf(row.seq));
    this.run(`INSERT INTO ${table} (docid, t) VALUES (?, ?)`, [id, indexText(row.search)]);
    if (tags || row.notes) this.run('INSERT INTO notes_fts (docid, tags, notes) VALUES (?, ?, ?)', [id, tags, row.notes]);
  }

  /** Annotated rows are in notes_fts, which reads the row's current text to delete it: call before changing the row. */
  private unindexNotes(id: number, tags: SqlValue, notes: SqlValue): void {
    if (tags || notes) this.run('DELETE FROM notes_fts WHERE docid = ?', [id]);
  }

  patch(sessionId: string, entryId: string, patch: { tags?: string[]; notes?: string }): void {
    const session = this.sessionNum(sessionId);
    if (session === undefined) return;
    this.transaction(() => {
      const row = this.first('SELECT id, tags, notes FROM entries WHERE session = ? AND entry_id = ?', [session, idKey(entryId)]);
      if (!row) return;
      const id = Number(row[0]);
      const tags = patch.tags === undefined ? String(row[1]) : patch.tags.length > 0 ? JSON.stringify(patch.tags) : '';
      const notes = patch.notes ?? String(row[2]);
      this.unindexNotes(id, row[1]!, row[2]!);
      this.run('UPDATE entries SET tags = ?, notes = ? WHERE id = ?', [tags, notes, id]);
      if (tags || notes) this.run('INSERT INTO notes_fts (docid, tags, notes) VALUES (?, ?, ?)', [id, tags, notes]);
    });
  }

  private forget(session: number, removed: number): void {
    this.counts.set(session, Math.max(0, (this.counts.get(session) ?? 0) - removed));
    this.dirtyCounts.add(session);
  }

  deleteEntries(sessionId: string, entryIds: string[]): IndexedRef[] {
    const session = this.sessionNum(sessionId);
    if (session === undefined) return [];
    return this.transaction(() => {
      const refs: IndexedRef[] = [];
      for (const entryId of new Set(entryIds)) {
        const row = this.first(`SELECT ${REF_COLUMNS}, e.id, e.tags, e.notes FROM entries e WHERE e.session = ? AND e.entry_id = ?`, [session, idKey(entryId)]);
        if (!row) continue;
        this.unindexNotes(Number(row[5]), row[6]!, row[7]!);
        this.run('DELETE FROM entries WHERE id = ?', [Number(row[5])]);
        refs.push(toRef(row));
      }
      this.forget(session, refs.length);
      return refs;
    });
  }

  deleteSession(sessionId: string): void {
    const session = this.sessionNum(sessionId);
    if (session === undefined) return;
    this.transaction(() => {
      this.unindexAnnotated(session, Number.MAX_SAFE_INTEGER);
      this.run('DELETE FROM entries WHERE session = ?', [session]);
      for (const bucket of [...this.bucketSet(session)]) this.dropBucket(session, bucket);
      this.run('DELETE FROM watermarks WHERE session = ?', [sessionId]);
      this.run('DELETE FROM sessions WHERE num = ?', [session]);
    });
    this.sessionNums.delete(sessionId);
    this.counts.delete(session);
    this.dirtyCounts.delete(session);
    this.buckets.delete(session);
  }

  private unindexAnnotated(session: number, throughSeq: number): void {
    const annotated = this.all("SELECT id, tags, notes FROM entries WHERE session = ? AND seq <= ? AND (tags != '' OR notes != '')", [session, throughSeq]);
    for (const [id, tags, notes] of annotated) this.unindexNotes(Number(id), tags!, notes!);
  }

  evictThrough(sessionId: string, throughSeq: number): { ids: string[]; bytes: number } {
    const session = this.sessionNum(sessionId);
    if (session === undefined) return { ids: [], bytes: 0 };
    return this.transaction(() => {
      const rows = this.all('SELECT entry_id, bytes FROM entries WHERE session = ? AND seq <= ?', [session, throughSeq]);
      this.unindexAnnotated(session, throughSeq);
      this.forget(session, this.run('DELETE FROM entries WHERE session = ? AND seq <= ?', [session, throughSeq]));
      // A bucket whose every seq is at or below throughSeq can hold no live row any more.
      for (const bucket of [...this.bucketSet(session)]) {
        if ((bucket + 1) * BUCKET_ROWS <= throughSeq) this.dropBucket(session, bucket);
      }
      return { ids: rows.map((r) => idString(r[0])), bytes: rows.reduce((sum, r) => sum + Number(r[1]), 0) };
    });
  }

  nthSeq(sessionId: string, n: number): number | undefined {
    const session = this.sessionNum(sessionId);
    if (session === undefined || !Number.isInteger(n) || n < 1) return undefined;
    const total = this.counts.get(session) ?? 0;
    if (n > total) return undefined;
    // OFFSET walks the index: the newest half is counted from its own end (a reopen asks for the newest).
    const row = n * 2 <= total
      ? this.first('SELECT seq FROM entries WHERE session = ? ORDER BY seq LIMIT 1 OFFSET ?', [session, n - 1])
      : this.first('SELECT seq FROM entries WHERE session = ? ORDER BY seq DESC LIMIT 1 OFFSET ?', [session, total - n]);
    return row ? Number(row[0]) : undefined;
  }

  /**
   * A session's records are appended in seq order, each entry's bodies just before it, so min_seg and max_seg never
   * decrease with seq: both questions are answered from the oldest end of the seq index, not by a scan of every row
   * (which at 1M rows cost the worker a second per eviction).
   */
  lowestLiveSegment(sessionId: string): number | undefined {
    return this.scalar('SELECT min_seg FROM entries WHERE session = ? ORDER BY seq LIMIT 1', sessionId, []);
  }

  maxSeqThroughSegment(sessionId: string, segment: number): number | undefined {
    const beyond = this.scalar('SELECT seq FROM entries WHERE session = ? AND max_seg > ? ORDER BY seq LIMIT 1', sessionId, [segment]);
    if (beyond === undefined) return this.scalar('SELECT MAX(seq) FROM entries WHERE session = ?', sessionId, []);
    return this.scalar('SELECT MAX(seq) FROM entries WHERE session = ? AND seq < ?', sessionId, [beyond]);
  }

  private scalar(sql: string, sessionId: string, params: SqlValue[]): number | undefined {
    const session = this.sessionNum(sessionId);
    if (session === undefined) return undefined;
    const value = this.first(sql, [session, ...params])?.[0];
    return value === null || value === undefined ? undefined : Number(value);
  }

  get(sessionId: string, entryId: string): IndexedRef | undefined {
    const session = this.sessionNum(sessionId);
    if (session === undefined) return undefined;
    const row = this.first(`SELECT ${REF_COLUMNS} FROM entries e WHERE e.session = ? AND e.entry_id = ?`, [session, idKey(entryId)]);
    return row ? toRef(row) : undefined;
  }

  /** OFFSET walks the index from one end: pages past the middle are counted from the newest end instead. */
  list(sessionId: string, offset: number, limit: number): { refs: IndexedRef[]; total: number } {
    const session = this.sessionNum(sessionId);
    const total = session === undefined ? 0 : (this.counts.get(session) ?? 0);
    const start = Math.max(0, Math.trunc(offset));
    const end = Math.min(total, start + Math.max(0, Math.trunc(limit)));
    if (session === undefined || end <= start) return { refs: [], total };
    if (start * 2 <= total) {
      const rows = this.all(`SELECT ${REF_COLUMNS} FROM entries e WHERE e.session = ? ORDER BY e.started_at, e.seq LIMIT ? OFFSET ?`, [session, end - start, start]);
      return { refs: rows.map(toRef), total };
    }
    const rows = this.all(`SELECT ${REF_COLUMNS} FROM entries e WHERE e.session = ? ORDER BY e.started_at DESC, e.seq DESC LIMIT ? OFFSET ?`, [session, end - start, total - end]);
    return { refs: rows.map(toRef).reverse(), total };
  }

  listAfter(sessionId: string, after: { startedAt: number; seq: number } | undefined, limit: number): IndexedRef[] {
    const session = this.sessionNum(sessionId);
    const count = Math.max(0, Math.trunc(limit));
    if (session === undefined || count === 0) return [];
    const rows = after
      ? this.all(`SELECT ${REF_COLUMNS} FROM entries e WHERE e.session = ? AND (e.started_at, e.seq) > (?, ?) ORDER BY e.started_at, e.seq LIMIT ?`, [session, after.startedAt, after.seq, count])
      : this.all(`SELECT ${REF_COLUMNS} FROM entries e WHERE e.session = ? ORDER BY e.started_at, e.seq LIMIT ?`, [session, count]);
    return rows.map(toRef);
  }

  /**
   * Each token must match the entry's text or its tags/notes (two FTS tables, so one token per set, intersected).
   * The matches are joined to `entries` (which drops dead postings) and sorted: cheap for a selective query.
   */
  search(sessionId: string, text: string, limit: number): IndexedRef[] {
    const session = this.sessionNum(sessionId);
    const terms = queryTerms(text);
    const count = Math.max(0, Math.trunc(limit));
    if (session === undefined || terms.length === 0 || count === 0) return [];
    const tables = [...this.bucketSet(session)].sort((a, b) => a - b).map((b) => bucketTable(session, b));
    const params: SqlValue[] = [];
    const sets = terms.map((term) => {
      const parts = tables.map((t) => `SELECT docid FROM ${t} WHERE ${t} MATCH ?`);
      parts.push('SELECT docid FROM notes_fts WHERE notes_fts MATCH ?');
      params.push(...parts.map(() => term));
      return `SELECT docid FROM (${parts.join(' UNION ')})`;
    });
    const sql = `SELECT ${REF_COLUMNS} FROM (${sets.join(' INTERSECT ')}) AS c CROSS JOIN entries e ON e.id = c.docid
      WHERE e.session = ? ORDER BY e.started_at, e.seq LIMIT ?`;
    const statement = this.db.prepare(sql);
    try {
      statement.bind([...params, session, count]);
      const rows: IndexedRef[] = [];
      while (statement.step()) rows.push(toRef(statement.get()));
      return rows;
    } finally {
      statement.free();
    }
  }
}
