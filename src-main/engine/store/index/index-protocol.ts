import type { HostFileStats } from './host-files.js';
import type { IndexBacklog } from './index-types.js';

/** Messages between index-client.ts (main thread) and index-worker.ts. */
export interface OpenArgs {
  dir: string;
}

export type IndexOp =
  | 'open' | 'insert' | 'patch' | 'deleteEntries' | 'deleteSession' | 'evictThrough' | 'nthSeq' | 'lowestLiveSegment'
  | 'maxSeqThroughSegment' | 'dropPastLog' | 'get' | 'list' | 'listAfter' | 'search' | 'snapshot' | 'close' | 'stats';

export interface IndexRequest {
  id: number;
  op: IndexOp;
  args: unknown[];
}

export type IndexReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string }
  /** Not an answer: a failure of the worker's own work (a scheduled snapshot). */
  | { id: 0; event: 'error'; error: string };

/** What `stats` answers: for the scale measurement and diagnostics. */
export interface IndexStats {
  rss: number;
  heapUsed: number;
  /** Index pages in use and on the free list (see IndexDb.pageBytes). */
  dbBytes: { used: number; free: number };
  /** The index file's writes the disk has refused for now (host-files.ts). */
  files?: HostFileStats;
  /** Added by the client (the worker cannot know what is still queued for it). */
  backlog?: IndexBacklog;
}
