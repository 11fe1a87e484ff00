/**
 * The index worker thread: owns the sql.js index database, so no query, insert or snapshot runs on the event loop
 * of the proxies and the API. Messages are handled one at a time, in arrival order; snapshots are taken (exported)
 * in that order too, and written to disk behind it.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { loadSqlJs } from '../sqljs-loader.js';
import { errorMessage, fsyncDir, isCode, writeFileSynced } from '../fs-util.js';
import { looksLikeSqlite } from '../snapshot.js';
import { IndexDb } from './index-db.js';
import type { IndexOpenResult, IndexRow, Watermarks } from './index-types.js';
import type { IndexReply, IndexRequest, IndexStats, OpenArgs } from './index-protocol.js';

export const INDEX_FILE = 'index.db';

const port = parentPort;
if (!port) throw new Error('index-worker.ts runs only as a worker thread (see index-client.ts)');

let db: IndexDb | undefined;
let dir = '';
let every: OpenArgs['snapshotEvery'] = { rows: 50_000, ms: 30_000 };
let writing: Promise<void> = Promise.resolve();
let timer: NodeJS.Timeout | undefined;

async function readIndexFile(file: string): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(file);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
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
    await fsyncDir(path.dirname(file));
    return target;
  }
}

async function open(args: OpenArgs): Promise<IndexOpenResult> {
  dir = args.dir;
  every = args.snapshotEvery;
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  await fsp.rm(path.join(dir, `${INDEX_FILE}.tmp`), { force: true });
  const SQL = await loadSqlJs();
  const file = path.join(dir, INDEX_FILE);
  const bytes = await readIndexFile(file);
  let rebuilt: string | undefined = bytes ? undefined : 'missing';
  if (bytes) {
    try {
      if (!looksLikeSqlite(bytes)) throw new Error('not an SQLite database');
      db = IndexDb.open(SQL, bytes);
    } catch (error) {
      const aside = await moveAside(file);
      rebuilt = `index.db unreadable (${errorMessage(error)}); moved to ${path.basename(aside)}`;
    }
  }
  db ??= IndexDb.open(SQL);
  timer = setInterval(() => {
    if (db && db.changes > 0 && Date.now() - lastSnapshotAt >= snapshotPeriod(db)) snapshotInBackground();
  }, every.ms);
  return rebuilt ? { ...db.summary(), rebuilt } : db.summary();
}

/**
 * A snapshot copies the whole database (CPU, and transient memory of twice its size): a big index is snapshotted
 * less often, one more period per 200,000 rows. A crash then replays more of the logs on the next open; a clean
 * shutdown always snapshots.
 */
function snapshotPeriod(index: IndexDb): number {
  return every.ms * Math.max(1, Math.ceil(index.totalRows() / 200_000));
}

let lastSnapshotAt = Date.now();

/** Exports now (in message order, so the file holds exactly the rows and watermarks handled so far), writes later. */
function snapshot(): Promise<void> {
  lastSnapshotAt = Date.now();
  const bytes = ready().export();
  const tmp = path.join(dir, `${INDEX_FILE}.tmp`);
  const done = writing.then(async () => {
    await writeFileSynced(tmp, bytes);
    await fsp.rename(tmp, path.join(dir, INDEX_FILE));
    await fsyncDir(dir);
  });
  writing = done.catch(() => undefined);
  return done;
}

function snapshotInBackground(): void {
  snapshot().catch((error: unknown) => post({ id: 0, event: 'error', error: `index snapshot failed: ${errorMessage(error)}` }));
}

function ready(): IndexDb {
  if (!db) throw new Error('the index is not open');
  return db;
}

function stats(): IndexStats {
  const memory = process.memoryUsage();
  return { rss: memory.rss, heapUsed: memory.heapUsed, dbBytes: ready().pageBytes() };
}

async function close(): Promise<void> {
  clearInterval(timer);
  if (db && db.changes > 0) await snapshot();
  await writing;
  db?.close();
  db = undefined;
}

function insert(rows: IndexRow[], through: Watermarks): void {
  const index = ready();
  index.insert(rows, through);
  // A snapshot copies the whole database: as it grows, take one per quarter of its rows, not every 50,000.
  if (index.changes >= Math.max(every.rows, Math.floor(index.totalRows() / 4))) snapshotInBackground();
}

type Handler = (...args: never[]) => unknown;

const handlers: Record<IndexRequest['op'], Handler> = {
  open,
  insert,
  patch: (sessionId: string, entryId: string, patch: { tags?: string[]; notes?: string }) => ready().patch(sessionId, entryId, patch),
  deleteEntries: (sessionId: string, ids: string[]) => ready().deleteEntries(sessionId, ids),
  deleteSession: (sessionId: string) => ready().deleteSession(sessionId),
  evictThrough: (sessionId: string, seq: number) => ready().evictThrough(sessionId, seq),
  nthSeq: (sessionId: string, n: number) => ready().nthSeq(sessionId, n),
  lowestLiveSegment: (sessionId: string) => ready().lowestLiveSegment(sessionId),
  maxSeqThroughSegment: (sessionId: string, segment: number) => ready().maxSeqThroughSegment(sessionId, segment),
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
    const result = (handlers[request.op] as (...args: unknown[]) => unknown)(...request.args);
    if (result instanceof Promise) {
      // A snapshot's write may finish while later messages run: only its export must keep its place in line.
      if (request.op === 'snapshot') {
        result.then(reply, fail);
        return Promise.resolve();
      }
      return result.then(reply, fail);
    }
    reply(result);
  } catch (error) {
    fail(error);
  }
  return Promise.resolve();
}

port.on('message', (request: IndexRequest) => {
  queue = queue.then(() => handle(request));
});
