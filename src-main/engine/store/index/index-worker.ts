/**
 * The index worker thread: owns the sql.js index database, so no query or insert runs on the event loop of the
 * proxies and the API. The database is a real file (index/index.db in WAL mode, see index-schema.ts), so there are
 * no snapshots: every insert batch is a transaction on disk, and a crash of any kind leaves the index as of its last
 * batch, with the log positions it covers. Messages are handled one at a time, in arrival order.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { errorMessage, fsyncDir, isCode } from '../fs-util.js';
import { looksLikeSqlite } from '../snapshot.js';
import { loadHostSqlJs, type HostSqlJs } from './host-files.js';
import { IndexDb, isCorruption } from './index-db.js';
import type { IndexOpenResult, IndexRow, LogExtent, Watermarks } from './index-types.js';
import type { IndexReply, IndexRequest, IndexStats, OpenArgs } from './index-protocol.js';

export const INDEX_FILE = 'index.db';
/** SQLite's companion files of index.db (its WAL; the shared-memory file is never used in exclusive mode). */
const COMPANIONS = ['-wal', '-shm', '-journal'];

const port = parentPort;
if (!port) throw new Error('index-worker.ts runs only as a worker thread (see index-client.ts)');

let db: IndexDb | undefined;
let host: HostSqlJs | undefined;
let dir = '';
let timer: NodeJS.Timeout | undefined;

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch (error) {
    if (isCode(error, 'ENOENT')) return false;
    throw error;
  }
}

/** Never overwrites: a damaged index may still interest someone, and it is never the only copy of anything. */
async function moveAside(file: string): Promise<string> {
  const base = `${file}.corrupt-${new Date().toISOString().replace(/:/g, '-')}`;
  for (let attempt = 0; ; attempt++) {
    const target = attempt === 0 ? base : `${base}-${attempt}`;
    try {
      await fsp.link(file, target);
    } catch (error) {
      if (isCode(error, 'EEXIST')) continue;
      throw error;
    }
    await fsp.unlink(file);
    // Its WAL belongs to it: left beside a new index.db, SQLite would apply it there.
    for (const suffix of COMPANIONS) {
      await fsp.rename(`${file}${suffix}`, `${target}${suffix}`).catch((e: unknown) => {
        if (!isCode(e, 'ENOENT')) throw e;
      });
    }
    await fsyncDir(path.dirname(file));
    return target;
  }
}

async function headerOk(file: string): Promise<boolean> {
  const handle = await fsp.open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const head = Buffer.alloc(512);
    await handle.read(head, 0, 512, 0);
    return size >= 512 && looksLikeSqlite(head);
  } finally {
    await handle.close();
  }
}

async function open(args: OpenArgs): Promise<IndexOpenResult> {
  dir = args.dir;
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  // Left by the snapshots of schema 3 and older.
  await fsp.rm(path.join(dir, `${INDEX_FILE}.tmp`), { force: true });
  host = await loadHostSqlJs();
  const file = path.join(dir, INDEX_FILE);
  let rebuilt: string | undefined = (await exists(file)) ? undefined : 'missing';
  if (!rebuilt) {
    try {
      if (!(await headerOk(file))) throw new Error('not an SQLite database');
      db = IndexDb.open(host.SQL, host.hostPath(file));
    } catch (error) {
      const aside = await moveAside(file);
      rebuilt = `index.db unreadable (${errorMessage(error)}); moved to ${path.basename(aside)}`;
    }
  } else {
    for (const suffix of COMPANIONS) await fsp.rm(`${file}${suffix}`, { force: true });
  }
  db ??= IndexDb.open(host.SQL, host.hostPath(file));
  // While the disk refuses writes, what SQLite wrote waits in memory (host-files.ts): try it now and then.
  timer = setInterval(() => {
    if (!host || host.stats().heldBytes === 0) return;
    host.drain();
    host.release();
  }, 1000);
  timer.unref();
  return rebuilt ? { ...db.summary(), rebuilt } : db.summary();
}

/** Every batch is already on disk; this folds the WAL into index.db (cheaper reopen, bounded WAL). */
function snapshot(): void {
  ready().checkpoint('PASSIVE');
}

function ready(): IndexDb {
  if (!db) throw new Error('the index is not open');
  return db;
}

function stats(): IndexStats {
  const memory = process.memoryUsage();
  return { rss: memory.rss, heapUsed: memory.heapUsed, dbBytes: ready().pageBytes(), ...(host ? { files: host.stats() } : {}) };
}

function close(): void {
  clearInterval(timer);
  if (!db) return;
  try {
    db.checkpoint('TRUNCATE');
  } finally {
    db.close();
    db = undefined;
  }
}

/**
 * Insert batches are gathered for up to COALESCE_MS (or COALESCE_ROWS rows) and written in one transaction: FTS4
 * writes one segment per transaction, and a few large segments cost a fraction of many small ones (measured: 60
 * rows per transaction ~230 µs of worker CPU per row, 1,000 rows ~130 µs). Any other message writes what is
 * gathered first, so it sees every row posted before it; each insert is answered once its rows are committed.
 */
const COALESCE_MS = 200;
const COALESCE_ROWS = 4000;

interface GatheredInsert {
  rows: IndexRow[];
  through: Watermarks;
  reply(result: unknown): void;
  fail: (error: unknown) => void;
}

let gathered: GatheredInsert[] = [];
let gatheredRows = 0;
let gatherTimer: NodeJS.Timeout | undefined;

function gather(insert: GatheredInsert): void {
  gathered.push(insert);
  gatheredRows += insert.rows.length;
  if (gatheredRows >= COALESCE_ROWS) return writeGathered();
  gatherTimer ??= setTimeout(() => {
    gatherTimer = undefined;
    // Never a rejected link in the queue: every message after it would be skipped.
    queue = queue.then(writeGathered).catch((error: unknown) => post({ id: 0, event: 'error', error: `index: ${errorMessage(error)}` })).finally(() => host?.release());
  }, COALESCE_MS);
}

function writeGathered(): void {
  clearTimeout(gatherTimer);
  gatherTimer = undefined;
  if (gathered.length === 0) return;
  const batch = gathered;
  gathered = [];
  gatheredRows = 0;
  const index = ready();
  try {
    index.insertBatches(batch);
    for (const insert of batch) insert.reply(undefined);
    return;
  } catch (error) {
    if (batch.length === 1 || isCorruption(error)) {
      for (const insert of batch) failed(error, insert.fail);
      return;
    }
  }
  // One at a time, so that one bad batch does not take the others with it.
  for (const insert of batch) {
    try {
      index.insertBatches([insert]);
      insert.reply(undefined);
    } catch (error) {
      failed(error, insert.fail);
    }
  }
}

type Handler = (...args: never[]) => unknown;

const handlers: Record<IndexRequest['op'], Handler> = {
  open,
  insert: () => {
    throw new Error('inserts are gathered (see gather)');
  },
  patch: (sessionId: string, entryId: string, patch: { tags?: string[]; notes?: string }) => ready().patch(sessionId, entryId, patch),
  deleteEntries: (sessionId: string, ids: string[]) => ready().deleteEntries(sessionId, ids),
  deleteSession: (sessionId: string) => ready().deleteSession(sessionId),
  evictThrough: (sessionId: string, seq: number) => ready().evictThrough(sessionId, seq),
  nthSeq: (sessionId: string, n: number) => ready().nthSeq(sessionId, n),
  lowestLiveSegment: (sessionId: string) => ready().lowestLiveSegment(sessionId),
  maxSeqThroughSegment: (sessionId: string, segment: number) => ready().maxSeqThroughSegment(sessionId, segment),
  dropPastLog: (sessionId: string, extent: LogExtent) => ready().dropPastLog(sessionId, extent),
  get: (sessionId: string, entryId: string) => ready().get(sessionId, entryId),
  list: (sessionId: string, offset: number, limit: number) => ready().list(sessionId, offset, limit),
  listAfter: (sessionId: string, after: { startedAt: number; seq: number } | undefined, limit: number) => ready().listAfter(sessionId, after, limit),
  search: (sessionId: string, text: string, limit: number) => ready().search(sessionId, text, limit),
  snapshot,
  close,
  stats,
};

function post(reply: IndexReply): void {
  port!.postMessage(reply);
}

/**
 * The queue: each message waits for the one before, so an async step (open, a snapshot's export) can never be
 * overtaken. Synchronous handlers answer in the same turn.
 */
let queue: Promise<void> = Promise.resolve();

function handle(request: IndexRequest): Promise<void> {
  const reply = (result: unknown) => post({ id: request.id, ok: true, result });
  const fail = (error: unknown) => post({ id: request.id, ok: false, error: errorMessage(error) });
  try {
    if (request.op === 'insert') {
      const [rows, through] = request.args as [IndexRow[], Watermarks];
      ready();
      gather({ rows, through, reply, fail });
      return Promise.resolve();
    }
    writeGathered();
    const result = (handlers[request.op] as (...args: unknown[]) => unknown)(...request.args);
    if (result instanceof Promise) return result.then(reply, (error: unknown) => failed(error, fail));
    reply(result);
  } catch (error) {
    failed(error, fail);
  }
  return Promise.resolve();
}

/**
 * A file found damaged while in use is moved aside and the worker ends: the store replaces a worker that exits
 * (segment-store.ts), and the new one, finding no index, is rebuilt from the session logs.
 */
function failed(error: unknown, fail: (error: unknown) => void): void {
  fail(error);
  if (!isCorruption(error) || !db) return;
  for (const insert of gathered) insert.fail(error);
  gathered = [];
  const file = path.join(dir, INDEX_FILE);
  try {
    db.close();
  } catch { /* closing a damaged file may fail too */ }
  db = undefined;
  void moveAside(file).finally(() => process.exit(70));
}

port.on('message', (request: IndexRequest) => {
  queue = queue.then(() => handle(request)).finally(() => host?.release());
});
