import type { Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';
import { allRows, firstRow } from './index/sql-statements.js';
import { exportMemoryDb, openMemoryDb } from './memory-db.js';
import type { BodySide } from './store-types.js';

/** Everything lives in the `temp` schema (see memory-db.ts); unqualified names in queries resolve to it. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS temp.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS temp.sessions (id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS temp.entries (
  seq INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  id TEXT NOT NULL,
  started_at TEXT NOT NULL,
  entry TEXT NOT NULL,
  req_body BLOB,
  res_body BLOB,
  req_file INTEGER NOT NULL DEFAULT 0,
  res_file INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS temp.entries_session_id ON entries(session_id, id);
CREATE INDEX IF NOT EXISTS temp.entries_session_seq ON entries(session_id, seq);
CREATE INDEX IF NOT EXISTS temp.entries_session_started ON entries(session_id, started_at, seq);
`;

/** 16 KiB pages store ~2 KB rows far more densely (224 MB instead of 393 MB for 100k rows). */
const PAGE_SIZE = 16384;

/**
 * Durability is the journal's job, so SQLite's own rollback journal only needs to support ROLLBACK, in memory;
 * the in-WASM file is never synced anywhere. One connection only, so an exclusive lock saves a lock/unlock per
 * statement. Per connection, so re-applied on every open; temp_store first, before the temp schema is touched.
 */
const CONNECTION_PRAGMAS =
  'PRAGMA temp_store=MEMORY; PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;';

export interface EntryRow {
  sessionId: string;
  id: string;
  seq: number;
  startedAt: string;
  json: string;
  reqBody: Uint8Array | null;
  resBody: Uint8Array | null;
  /** 0: no body file; else the file's length in bytes (1: unknown, from a journal older than lengths). */
  reqFile: number;
  resFile: number;
}

/** Which body files an entry has, as EntryRow's reqFile/resFile (0 = none, else the expected length). */
export interface FileRef {
  entryId: string;
  reqFile: number;
  resFile: number;
}

const SQL_TEXT = {
  upsertSession:
    'INSERT INTO sessions (id, record) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET record = excluded.record',
  getSession: 'SELECT record FROM sessions WHERE id = ?',
  listSessions: 'SELECT record FROM sessions ORDER BY rowid',
  deleteSession: 'DELETE FROM sessions WHERE id = ?',
  sessionFiles: 'SELECT id, req_file, res_file FROM entries WHERE session_id = ? AND (req_file > 0 OR res_file > 0)',
  deleteSessionEntries: 'DELETE FROM entries WHERE session_id = ?',
  insertEntry:
    'INSERT INTO entries (seq, session_id, id, started_at, entry, req_body, res_body, req_file, res_file) ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  replaceEntry:
    'UPDATE entries SET started_at = ?, entry = ?, req_body = ?, res_body = ?, req_file = ?, res_file = ? ' +
    'WHERE session_id = ? AND id = ?',
  getEntry: 'SELECT entry FROM entries WHERE session_id = ? AND id = ?',
  setEntry: 'UPDATE entries SET entry = ? WHERE session_id = ? AND id = ?',
  deleteEntry: 'DELETE FROM entries WHERE session_id = ? AND id = ? RETURNING req_file, res_file',
  // Chronological by request start: entries from several proxy workers reach the store slightly out of order.
  listEntries: 'SELECT entry FROM entries WHERE session_id = ? ORDER BY started_at, seq LIMIT ? OFFSET ?',
  oldestIds: 'SELECT id FROM entries WHERE session_id = ? ORDER BY seq LIMIT ?',
  reqBody: 'SELECT req_body, req_file FROM entries WHERE session_id = ? AND id = ?',
  resBody: 'SELECT res_body, res_file FROM entries WHERE session_id = ? AND id = ?',
  clearReqFile: 'UPDATE entries SET req_file = 0, req_body = NULL WHERE session_id = ? AND id = ?',
  clearResFile: 'UPDATE entries SET res_file = 0, res_body = NULL WHERE session_id = ? AND id = ?',
} as const;

type StatementName = keyof typeof SQL_TEXT;

/**
 * The in-memory sql.js database and the statements prepared on it. Knows nothing of files or the journal.
 * Entry counts are kept in a Map because the engine asks for them on every insert.
 */
export class EntryDb {
  private readonly stmts = new Map<StatementName, Statement>();
  private readonly counts = new Map<string, number>();
  private nextSeq = 1;
  private readonly db: Database;

  /** Throws if the bytes are not a usable database (sql.js only notices on the first statement). */
  constructor(
    private readonly SQL: SqlJsStatic,
    bytes?: Uint8Array,
  ) {
    const db = openMemoryDb(SQL, CONNECTION_PRAGMAS, PAGE_SIZE, bytes);
    try {
      db.exec(SCHEMA);
      for (const [name, sql] of Object.entries(SQL_TEXT)) this.stmts.set(name as StatementName, db.prepare(sql));
      for (const row of db.exec('SELECT session_id, COUNT(*) FROM entries GROUP BY session_id')[0]?.values ?? []) {
        this.counts.set(String(row[0]), Number(row[1]));
      }
      const max = db.exec('SELECT MAX(seq) FROM entries')[0]?.values[0]?.[0];
      this.nextSeq = (typeof max === 'number' ? max : 0) + 1;
    } catch (error) {
      db.close();
      throw error;
    }
    this.db = db;
  }

  private stmt(name: StatementName): Statement {
    return this.stmts.get(name) as Statement;
  }

  /** Runs a prepared statement to completion and returns its first row, if any. */
  private first(name: StatementName, params: SqlValue[]): SqlValue[] | undefined {
    return firstRow(this.stmt(name), params);
  }

  private all(name: StatementName, params: SqlValue[]): SqlValue[][] {
    return allRows(this.stmt(name), params);
  }

  allocSeq(): number {
    return this.nextSeq++;
  }

  transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  upsertSession(id: string, json: string): void {
    this.first('upsertSession', [id, json]);
  }

  getSession(id: string): string | undefined {
    return this.first('getSession', [id])?.[0] as string | undefined;
  }

  listSessions(): string[] {
    return this.all('listSessions', []).map((row) => row[0] as string);
  }

  /** Deletes the session and its entries; returns the entries that had body files. */
  deleteSession(id: string): FileRef[] {
    return this.transaction(() => {
      const files = this.all('sessionFiles', [id]).map((row) => ({
        entryId: row[0] as string,
        reqFile: Number(row[1]),
        resFile: Number(row[2]),
      }));
      this.first('deleteSessionEntries', [id]);
      this.first('deleteSession', [id]);
      this.counts.delete(id);
      return files;
    });
  }

  /** Inserts, or replaces the content of an entry already present (keeping its place in capture order). */
  putEntry(row: EntryRow): void {
    this.nextSeq = Math.max(this.nextSeq, row.seq + 1);
    const flags = [row.reqFile, row.resFile];
    try {
      this.first('insertEntry', [
        row.seq, row.sessionId, row.id, row.startedAt, row.json, row.reqBody, row.resBody, ...flags,
      ]);
    } catch (error) {
      // The unique (session_id, id) index: a re-insert, or a journal record replayed twice. Rare, so the
      // common path pays for one statement instead of an existence check.
      if (!/UNIQUE constraint failed: entries\.session_id, entries\.id/.test(String(error))) throw error;
      this.first('replaceEntry', [row.startedAt, row.json, row.reqBody, row.resBody, ...flags, row.sessionId, row.id]);
      return;
    }
    this.counts.set(row.sessionId, (this.counts.get(row.sessionId) ?? 0) + 1);
  }

  getEntryJson(sessionId: string, id: string): string | undefined {
    return this.first('getEntry', [sessionId, id])?.[0] as string | undefined;
  }

  setEntryJson(sessionId: string, id: string, json: string): void {
    this.first('setEntry', [json, sessionId, id]);
  }

  /** Returns the deleted entries that had body files. */
  deleteEntries(sessionId: string, ids: string[]): FileRef[] {
    const run = (): FileRef[] => {
      const files: FileRef[] = [];
      let deleted = 0;
      for (const id of ids) {
        const row = this.first('deleteEntry', [sessionId, id]);
        if (!row) continue;
        deleted++;
        const reqFile = Number(row[0]);
        const resFile = Number(row[1]);
        if (reqFile > 0 || resFile > 0) files.push({ entryId: id, reqFile, resFile });
      }
      const left = (this.counts.get(sessionId) ?? 0) - deleted;
      if (left > 0) this.counts.set(sessionId, left);
      else this.counts.delete(sessionId);
      return files;
    };
    return ids.length > 1 ? this.transaction(run) : run();
  }

  listEntryJson(sessionId: string, offset: number, limit: number): string[] {
    return this.all('listEntries', [sessionId, limit, offset]).map((row) => row[0] as string);
  }

  count(sessionId: string): number {
    return this.counts.get(sessionId) ?? 0;
  }

  oldestIds(sessionId: string, count: number): string[] {
    return this.all('oldestIds', [sessionId, count]).map((row) => row[0] as string);
  }

  /** undefined: no such entry; otherwise the inline bytes (null if none) and the body file's expected length (0: none). */
  getBody(sessionId: string, id: string, side: BodySide): { inline: Uint8Array | null; inFile: number } | undefined {
    const row = this.first(side === 'request' ? 'reqBody' : 'resBody', [sessionId, id]);
    if (!row) return undefined;
    return { inline: row[0] instanceof Uint8Array ? row[0] : null, inFile: Number(row[1]) };
  }

  /** The entry has no bytes for this side any more (dropped or lost). */
  clearBody(sessionId: string, id: string, side: BodySide): void {
    this.first(side === 'request' ? 'clearReqFile' : 'clearResFile', [sessionId, id]);
  }

  /** Every (session, entry) with a body file, for the orphan sweep after a crash. */
  allFileRefs(): { sessionId: string; ref: FileRef }[] {
    const result = this.db.exec('SELECT session_id, id, req_file, res_file FROM entries WHERE req_file > 0 OR res_file > 0');
    return (result[0]?.values ?? []).map((row) => ({
      sessionId: row[0] as string,
      ref: { entryId: row[1] as string, reqFile: Number(row[2]), resFile: Number(row[3]) },
    }));
  }

  getMeta(key: string): string | undefined {
    const value = this.db.exec('SELECT value FROM meta WHERE key = ?', [key])[0]?.values[0]?.[0];
    return typeof value === 'string' ? value : undefined;
  }

  setMeta(key: string, value: string): void {
    this.db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [
      key,
      value,
    ]);
  }

  /** The whole database as SQLite file bytes. Must not be called inside a transaction (the backup would fail). */
  export(): Uint8Array {
    return exportMemoryDb(this.SQL, this.db);
  }

  close(): void {
    for (const stmt of this.stmts.values()) stmt.free();
    this.stmts.clear();
    this.db.close();
  }
}
