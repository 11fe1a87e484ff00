import type { Database, SqlJsStatic } from 'sql.js';

/**
 * Why the data lives in the connection's `temp` schema and not in sql.js's `main`:
 *
 * sql.js keeps `main` in an Emscripten in-memory *file* whose buffer grows by 12.5% at a time, copying the whole
 * database on every growth. Measured at 100k entries (277 MB) that is a 130-300 ms stall inside an insert every few
 * thousand inserts, up to ~1.8 s under GC pressure: O(database size) work on the capture path. With
 * `temp_store=MEMORY` the `temp` schema is an ordinary in-memory database whose pages live in the WASM heap, which
 * grows in place; inserts are also ~30% cheaper (no page copies into the file on each commit).
 *
 * sql.js only snapshots and loads `main`, so moving bytes in and out of `temp` uses SQLite's backup API through the
 * functions sql.js exports, and the `db` handle of its Database objects (sql.js is pinned; checked at open).
 */

interface BackupApi {
  _sqlite3_backup_init(dest: number, destName: number, src: number, srcName: number): number;
  _sqlite3_backup_step(backup: number, pages: number): number;
  _sqlite3_backup_finish(backup: number): number;
  _sqlite3_errmsg(db: number): number;
  UTF8ToString(ptr: number): string;
  stringToNewUTF8(text: string): number;
  _free(ptr: number): void;
}

const SQLITE_OK = 0;
const SQLITE_DONE = 101;

function api(SQL: SqlJsStatic): BackupApi {
  const candidate = SQL as unknown as Partial<BackupApi>;
  for (const name of ['_sqlite3_backup_init', '_sqlite3_backup_step', '_sqlite3_backup_finish', '_sqlite3_errmsg',
    'UTF8ToString', 'stringToNewUTF8', '_free'] as const) {
    if (typeof candidate[name] !== 'function') throw new Error(`this sql.js build does not export ${name}`);
  }
  return candidate as BackupApi;
}

function handleOf(db: Database): number {
  const handle = (db as unknown as { db?: unknown }).db;
  if (typeof handle !== 'number') throw new Error('this sql.js build does not expose Database.db');
  return handle;
}

/** Copies schema `srcName` of `src` over schema `destName` of `dest`, all pages in one step. */
function backup(SQL: SqlJsStatic, dest: Database, destName: string, src: Database, srcName: string): void {
  const sqlite = api(SQL);
  const destPtr = sqlite.stringToNewUTF8(destName);
  const srcPtr = sqlite.stringToNewUTF8(srcName);
  try {
    const destHandle = handleOf(dest);
    const handle = sqlite._sqlite3_backup_init(destHandle, destPtr, handleOf(src), srcPtr);
    if (handle === 0) throw new Error(sqlite.UTF8ToString(sqlite._sqlite3_errmsg(destHandle)));
    const step = sqlite._sqlite3_backup_step(handle, -1);
    const finish = sqlite._sqlite3_backup_finish(handle);
    if (step !== SQLITE_DONE || finish !== SQLITE_OK) {
      throw new Error(`backup ${srcName} -> ${destName} failed: ${sqlite.UTF8ToString(sqlite._sqlite3_errmsg(destHandle))}`);
    }
  } finally {
    sqlite._free(destPtr);
    sqlite._free(srcPtr);
  }
}

function pragmaNumber(db: Database, sql: string): number {
  return Number(db.exec(sql)[0]?.values[0]?.[0]);
}

/**
 * A connection whose `temp` schema holds the data: empty with the given page size, or loaded from snapshot bytes.
 * `pragmas` are applied first because temp_store must be set before the temp schema is first touched.
 */
export function openMemoryDb(SQL: SqlJsStatic, pragmas: string, pageSize: number, bytes?: Uint8Array): Database {
  const db = new SQL.Database();
  try {
    db.exec(pragmas);
    if (!bytes) {
      db.exec(`PRAGMA temp.page_size=${pageSize}`);
      return db;
    }
    const source = new SQL.Database(bytes);
    try {
      // An in-memory destination cannot change its page size during a backup: match the snapshot's first.
      db.exec(`PRAGMA temp.page_size=${pragmaNumber(source, 'PRAGMA page_size')}`);
      backup(SQL, db, 'temp', source, 'main');
    } finally {
      source.close();
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

const headerPages = new Map<number, Uint8Array>();

/** Page 1 of an empty database: a destination file that starts valid can be pre-sized to the final length. */
function headerPage(SQL: SqlJsStatic, pageSize: number): Uint8Array {
  let page = headerPages.get(pageSize);
  if (!page) {
    const empty = new SQL.Database();
    try {
      empty.exec(`PRAGMA page_size=${pageSize}; CREATE TABLE x (a); DROP TABLE x;`);
      page = empty.export().slice(0, pageSize);
    } finally {
      empty.close();
    }
    headerPages.set(pageSize, page);
  }
  return page;
}

function presized(SQL: SqlJsStatic, pageSize: number, pages: number): Uint8Array {
  const buffer = new Uint8Array(pageSize * Math.max(1, pages));
  buffer.set(headerPage(SQL, pageSize));
  return buffer;
}

/**
 * The `temp` schema as SQLite file bytes. The intermediate file is created at its final size, so the backup into it
 * never triggers the grow-and-copy this module exists to avoid; sql.js's export() then reads it out.
 */
export function exportMemoryDb(SQL: SqlJsStatic, db: Database): Uint8Array {
  const pageSize = pragmaNumber(db, 'PRAGMA temp.page_size');
  const pages = pragmaNumber(db, 'PRAGMA temp.page_count');
  // sql.js copies the bytes into its own file: the pre-sized buffer is garbage once that is done, not held to the end.
  const out = new SQL.Database(presized(SQL, pageSize, pages));
  try {
    // A rollback journal for the destination would be another whole copy, growing (and copying itself) page by page.
    out.exec('PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;');
    backup(SQL, out, 'main', db, 'temp');
    return out.export();
  } finally {
    out.close();
  }
}
