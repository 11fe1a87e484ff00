/**
 * The small tables of the index database (index-db.ts) mirrored in memory: session and host numbers, each
 * session's FTS buckets and row count. Rows name sessions and hosts by number; counts are kept here and written in
 * the transaction that changed them, so a page's total never costs a COUNT(*).
 */
import { SCHEMA_NAME, bucketTable, createBucketSql } from './index-schema.js';
import type { SqlStatements } from './sql-statements.js';

export class IndexCatalog {
  private readonly sessionNums = new Map<string, number>();
  private readonly hostNums = new Map<string, number>();
  /** Bucket numbers per session number. */
  private readonly buckets = new Map<number, Set<number>>();
  private readonly counts = new Map<number, number>();
  /** Sessions whose count changed in the running transaction (written before it commits). */
  private readonly dirtyCounts = new Set<number>();

  constructor(private readonly sql: SqlStatements) {}

  /** At open, and after a rollback (which undoes what the mirrors were told). */
  load(): void {
    this.sessionNums.clear();
    this.hostNums.clear();
    this.buckets.clear();
    this.counts.clear();
    this.dirtyCounts.clear();
    for (const [num, id, count] of this.sql.all('SELECT num, id, count FROM sessions', [])) {
      this.sessionNums.set(String(id), Number(num));
      this.counts.set(Number(num), Number(count));
    }
    for (const [num, name] of this.sql.all('SELECT num, name FROM hosts', [])) this.hostNums.set(String(name), Number(num));
    for (const [session, bucket] of this.sql.all('SELECT session, bucket FROM fts_buckets', [])) this.bucketSet(Number(session)).add(Number(bucket));
  }

  /** Before a transaction commits: the counts it changed. */
  writeCounts(): void {
    for (const session of this.dirtyCounts) this.sql.run('UPDATE sessions SET count = ? WHERE num = ?', [this.counts.get(session) ?? 0, session]);
    this.dirtyCounts.clear();
  }

  sessions(): IterableIterator<[string, number]> {
    return this.sessionNums.entries();
  }

  sessionNum(sessionId: string): number | undefined {
    return this.sessionNums.get(sessionId);
  }

  ensureSession(sessionId: string): number {
    return this.numberOf(this.sessionNums, 'INSERT INTO sessions (id) VALUES (?) RETURNING num', sessionId);
  }

  /** The mirrors of a session whose rows and tables were deleted. */
  dropSession(sessionId: string, session: number): void {
    this.sessionNums.delete(sessionId);
    this.counts.delete(session);
    this.dirtyCounts.delete(session);
    this.buckets.delete(session);
  }

  /** Hosts are never deleted: few, and a number must not come to mean another host in rows a replay may bring back. */
  ensureHost(host: string): number {
    return this.numberOf(this.hostNums, 'INSERT INTO hosts (name) VALUES (?) RETURNING num', host);
  }

  /** The number of `name` in `nums`, inserted (by `insertSql`, which returns it) when it has none yet. */
  private numberOf(nums: Map<string, number>, insertSql: string, name: string): number {
    let num = nums.get(name);
    if (num === undefined) {
      num = Number(this.sql.first(insertSql, [name])![0]);
      nums.set(name, num);
    }
    return num;
  }

  count(session: number): number {
    return this.counts.get(session) ?? 0;
  }

  /** Rows in every session together. */
  totalRows(): number {
    let n = 0;
    for (const count of this.counts.values()) n += count;
    return n;
  }

  changeCount(session: number, rows: number): void {
    this.counts.set(session, Math.max(0, (this.counts.get(session) ?? 0) + rows));
    this.dirtyCounts.add(session);
  }

  bucketSet(session: number): Set<number> {
    let set = this.buckets.get(session);
    if (!set) {
      set = new Set();
      this.buckets.set(session, set);
    }
    return set;
  }

  ensureBucket(session: number, bucket: number): string {
    const set = this.bucketSet(session);
    if (!set.has(bucket)) {
      this.sql.db.exec(createBucketSql(session, bucket));
      this.sql.run('INSERT INTO fts_buckets (session, bucket) VALUES (?, ?)', [session, bucket]);
      set.add(bucket);
    }
    return bucketTable(session, bucket);
  }

  dropBucket(session: number, bucket: number): void {
    const table = bucketTable(session, bucket);
    this.sql.forgetTable(table);
    this.sql.db.exec(`DROP TABLE ${SCHEMA_NAME}.${table}`);
    this.sql.run('DELETE FROM fts_buckets WHERE session = ? AND bucket = ?', [session, bucket]);
    this.buckets.get(session)?.delete(bucket);
  }
}
