/**
 * The main-thread side of the index: every call is one message to the index worker (index-worker.ts), answered in
 * order. Posting rows is the only cost here; all sql.js work, FTS tokenizing, body decoding and disk writes happen in
 * the worker. A worker that dies is not replaced: every pending call rejects, onError hears it once, and later calls
 * fail at once (the store decides what to do, e.g. reopen and rebuild from the logs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { IndexBacklog, IndexClient, IndexedRef, IndexOpenResult, IndexRow, LogExtent } from './index-types.js';
import type { IndexOp, IndexReply, IndexRequest, IndexStats, OpenArgs } from './index-protocol.js';

export interface OpenIndexOptions {
  /** Where index.db lives. */
  dir: string;
  /** Failures of fire-and-forget calls and of the worker's own work (scheduled snapshots), and a worker crash. */
  onError?: (error: Error) => void;
  /** Rows in flight past which backlog().over is set. Default 50,000. */
  backlogLimit?: number;
}

export const DEFAULT_BACKLOG_LIMIT = 50_000;

const here = fileURLToPath(import.meta.url);
const fromSource = here.endsWith('.ts');
const WORKER_SCRIPT = path.join(path.dirname(here), `index-worker.${fromSource ? 'ts' : 'js'}`);

/** require.resolve would pick tsx's CommonJS build, whose register() does not hook `import`: find the ESM one. */
function tsxEsmApi(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return path.join(path.dirname(manifest), pkg.exports['./esm/api']!.import.default);
}

/** From source (tests, tsx) the worker needs the TypeScript loader first; worker_threads take no `--import` hook. */
function startWorker(): Worker {
  if (!fromSource) return new Worker(WORKER_SCRIPT);
  const tsxApi = pathToFileURL(tsxEsmApi()).href;
  const script = pathToFileURL(WORKER_SCRIPT).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); })`;
  return new Worker(boot, { eval: true });
}

/**
 * The body prefixes of posted rows move to the worker instead of being copied, when each is a whole buffer of its
 * own (what indexRowOf makes); a view into a shared one (a Buffer from Node's pool) is copied as usual.
 */
function transferable(rows: readonly IndexRow[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const row of rows) {
    for (const body of [row.search.requestBody, row.search.responseBody]) {
      const bytes = body?.bytes;
      if (!bytes || !(bytes.buffer instanceof ArrayBuffer)) continue;
      if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.byteLength > 0) out.add(bytes.buffer);
    }
  }
  return [...out];
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class IndexWorkerClient implements IndexClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | undefined;
  private closing = false;
  private inFlight = 0;
  private peak = 0;

  constructor(
    private readonly worker: Worker,
    private readonly onError: (error: Error) => void,
    private readonly backlogLimit = DEFAULT_BACKLOG_LIMIT,
  ) {
    worker.unref();
    worker.on('message', (reply: IndexReply) => this.onReply(reply));
    worker.on('error', (error) => this.fail(new Error(`the index worker crashed: ${error.message}`)));
    worker.on('exit', (code) => this.fail(new Error(
      this.closing ? 'the index is closed' : `the index worker exited unexpectedly (exit code ${code})`,
    ), !this.closing));
  }

  private onReply(reply: IndexReply): void {
    if ('event' in reply) return this.onError(new Error(reply.error));
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) waiting.resolve(reply.result);
    else waiting.reject(new Error(`index: ${reply.error}`));
  }

  private fail(error: Error, report = true): void {
    if (this.dead) return;
    this.dead = error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    if (report) this.onError(error);
  }

  /** The worker holds the process open only while an answer is awaited. */
  call<T>(op: IndexOp, args: unknown[], transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, op, args } satisfies IndexRequest, transfer);
    });
  }

  private send(op: IndexOp, args: unknown[]): void {
    this.call(op, args).catch((error: Error) => this.onError(error));
  }

  insert(rows: IndexRow[], through: Record<string, { segment: number; offset: number }>): void {
    const count = rows.length;
    this.inFlight += count;
    this.peak = Math.max(this.peak, this.inFlight);
    const settle = () => {
      this.inFlight -= count;
    };
    this.call('insert', [rows, through], transferable(rows)).then(settle, (error: Error) => {
      settle();
      this.onError(error);
    });
  }

  backlog(): IndexBacklog {
    return { rows: this.inFlight, limit: this.backlogLimit, over: this.inFlight > this.backlogLimit, peak: this.peak };
  }

  patch(sessionId: string, entryId: string, patch: { tags?: string[]; notes?: string }): void {
    this.send('patch', [sessionId, entryId, patch]);
  }

  deleteEntries(sessionId: string, entryIds: string[]): Promise<IndexedRef[]> {
    return this.call('deleteEntries', [sessionId, entryIds]);
  }

  deleteSession(sessionId: string): void {
    this.send('deleteSession', [sessionId]);
  }

  evictThrough(sessionId: string, throughSeq: number): Promise<{ ids: string[]; bytes: number }> {
    return this.call('evictThrough', [sessionId, throughSeq]);
  }

  nthSeq(sessionId: string, n: number): Promise<number | undefined> {
    return this.call('nthSeq', [sessionId, n]);
  }

  lowestLiveSegment(sessionId: string): Promise<number | undefined> {
    return this.call('lowestLiveSegment', [sessionId]);
  }

  maxSeqThroughSegment(sessionId: string, segment: number): Promise<number | undefined> {
    return this.call('maxSeqThroughSegment', [sessionId, segment]);
  }

  dropPastLog(sessionId: string, extent: LogExtent): Promise<{ ids: string[]; watermark?: LogExtent['end'] }> {
    return this.call('dropPastLog', [sessionId, extent]);
  }

  get(sessionId: string, entryId: string): Promise<IndexedRef | undefined> {
    return this.call('get', [sessionId, entryId]);
  }

  list(sessionId: string, offset: number, limit: number): Promise<{ refs: IndexedRef[]; total: number }> {
    return this.call('list', [sessionId, offset, limit]);
  }

  listAfter(sessionId: string, after: { startedAt: number; seq: number } | undefined, limit: number): Promise<IndexedRef[]> {
    return this.call('listAfter', [sessionId, after, limit]);
  }

  search(sessionId: string, text: string, limit: number): Promise<IndexedRef[]> {
    return this.call('search', [sessionId, String(text), limit]);
  }

  /** Folds the index's WAL into index.db (every batch is durable already). */
  snapshot(): Promise<void> {
    return this.call('snapshot', []);
  }

  /** Memory of the worker, and the backlog as it was when asked (the answer comes after that backlog is done). */
  async stats(): Promise<IndexStats> {
    const backlog = this.backlog();
    const stats = await this.call<IndexStats>('stats', []);
    return { ...stats, backlog };
  }

  async close(): Promise<void> {
    if (this.dead) return;
    await this.call('close', []);
    this.closing = true;
    await this.worker.terminate();
  }

  /** Ends the worker abruptly, as a crash would (tests). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

export async function openIndex(options: OpenIndexOptions): Promise<{ client: IndexWorkerClient; opened: IndexOpenResult }> {
  const client = new IndexWorkerClient(startWorker(), options.onError ?? (() => undefined), options.backlogLimit);
  const args: OpenArgs = { dir: path.resolve(options.dir) };
  try {
    return { client, opened: await client.call<IndexOpenResult>('open', [args]) };
  } catch (error) {
    await client.terminate();
    throw error;
  }
}
