/**
 * The reads of the index database (index-db.ts): an entry's place, pages in start-time order, the seq and segment
 * questions eviction asks, and full-text search. None writes, so none needs a transaction.
 */
import type { SqlValue } from 'sql.js';
import type { IndexCatalog } from './index-catalog.js';
import { REF_COLUMNS, idKey, toRef } from './index-refs.js';
import { bucketTable } from './index-schema.js';
import type { IndexedRef } from './index-types.js';
import { queryTerms } from './search-text.js';
import type { SqlStatements } from './sql-statements.js';

export class IndexQueries {
  constructor(private readonly sql: SqlStatements, private readonly catalog: IndexCatalog) {}

  nthSeq(sessionId: string, n: number): number | undefined {
    const session = this.catalog.sessionNum(sessionId);
    if (session === undefined || !Number.isInteger(n) || n < 1) return undefined;
    const total = this.catalog.count(session);
    if (n > total) return undefined;
    // OFFSET walks the index: the newest half is counted from its own end (a reopen asks for the newest).
    const row = n * 2 <= total
      ? this.sql.first('SELECT seq FROM entries WHERE session = ? ORDER BY seq LIMIT 1 OFFSET ?', [session, n - 1])
      : this.sql.first('SELECT seq FROM entries WHERE session = ? ORDER BY seq DESC LIMIT 1 OFFSET ?', [session, total - n]);
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
    const session = this.catalog.sessionNum(sessionId);
    if (session === undefined) return undefined;
    const value = this.sql.first(sql, [session, ...params])?.[0];
    return value === null || value === undefined ? undefined : Number(value);
  }

  get(sessionId: string, entryId: string): IndexedRef | undefined {
    const session = this.catalog.sessionNum(sessionId);
    if (session === undefined) return undefined;
    const row = this.sql.first(`SELECT ${REF_COLUMNS} FROM entries e WHERE e.session = ? AND e.entry_id = ?`, [session, idKey(entryId)]);
    return row ? toRef(row) : undefined;
  }

  /** OFFSET walks the index from one end: pages past the middle are counted from the newest end instead. */
  list(sessionId: string, offset: number, limit: number): { refs: IndexedRef[]; total: number } {
    const session = this.catalog.sessionNum(sessionId);
    const total = session === undefined ? 0 : this.catalog.count(session);
    const start = Math.max(0, Math.trunc(offset));
    const end = Math.min(total, start + Math.max(0, Math.trunc(limit)));
    if (session === undefined || end <= start) return { refs: [], total };
    if (start * 2 <= total) {
      const rows = this.sql.all(`SELECT ${REF_COLUMNS} FROM entries e WHERE e.session = ? ORDER BY e.started_at, e.seq LIMIT ? OFFSET ?`, [session, end - start, start]);
      return { refs: rows.map(toRef), total };
    }
    const rows = this.sql.all(`SELECT ${REF_COLUMNS} FROM entries e WHERE e.session = ? ORDER BY e.started_at DESC, e.seq DESC LIMIT ? OFFSET ?`, [session, end - start, total - end]);
    return { refs: rows.map(toRef).reverse(), total };
  }

  listAfter(sessionId: string, after: { startedAt: number; seq: number } | undefined, limit: number): IndexedRef[] {
    const session = this.catalog.sessionNum(sessionId);
    const count = Math.max(0, Math.trunc(limit));
    if (session === undefined || count === 0) return [];
    const rows = after
      ? this.sql.all(`SELECT ${REF_COLUMNS} FROM entries e WHERE e.session = ? AND (e.started_at, e.seq) > (?, ?) ORDER BY e.started_at, e.seq LIMIT ?`, [session, after.startedAt, after.seq, count])
      : this.sql.all(`SELECT ${REF_COLUMNS} FROM entries e WHERE e.session = ? ORDER BY e.started_at, e.seq LIMIT ?`, [session, count]);
    return rows.map(toRef);
  }

  /**
   * Each token must match the entry's text or its tags/notes (two FTS tables, so one token per set, intersected).
   * The matches are joined to `entries` (which drops dead postings) and sorted: cheap for a selective query.
   */
  search(sessionId: string, text: string, limit: number): IndexedRef[] {
    const session = this.catalog.sessionNum(sessionId);
    const terms = queryTerms(text);
    const count = Math.max(0, Math.trunc(limit));
    if (session === undefined || terms.length === 0 || count === 0) return [];
    const tables = [...this.catalog.bucketSet(session)].sort((a, b) => a - b).map((b) => bucketTable(session, b));
    const params: SqlValue[] = [];
    const sets = terms.map((term) => {
      const parts = tables.map((t) => `SELECT docid FROM ${t} WHERE ${t} MATCH ?`);
      parts.push('SELECT docid FROM notes_fts WHERE notes_fts MATCH ?');
      params.push(...parts.map(() => term));
      return `SELECT docid FROM (${parts.join(' UNION ')})`;
    });
    const sql = `SELECT ${REF_COLUMNS} FROM (${sets.join(' INTERSECT ')}) AS c CROSS JOIN entries e ON e.id = c.docid
      WHERE e.session = ? ORDER BY e.started_at, e.seq LIMIT ?`;
    // Prepared once: the statement differs with every query's terms and buckets, so it is not kept.
    const statement = this.sql.db.prepare(sql);
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
