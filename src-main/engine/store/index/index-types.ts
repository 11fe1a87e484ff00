/**
 * The index: small rows and an FTS4 table in sql.js, inside a worker thread, so no index operation or snapshot
 * runs on the event loop that serves the proxies and the API. See index-worker.ts / index-client.ts.
 * The index can always be rebuilt from the session logs: losing it never loses data.
 */
import type { RecordLocation, SegmentInfo } from '../segments/segment-types.js';

/** What the index keeps of one entry, plus the text it tokenizes for search (the text itself is not stored). */
export interface IndexRow {
  sessionId: string;
  entryId: string;
  /** Per-session sequence number: arrival order, 1-based, strictly increasing. */
  seq: number;
  /** Request start, epoch ms. */
  startedAt: number;
  method: string;
  host: string;
  path: string;
  status?: number;
  entryType: string;
  requestSize: number;
  responseSize: number;
  durationMs: number;
  tags: string[];
  notes: string;
  /** The Entry record. */
  loc: RecordLocation;
  /** The highest segment any record of this entry (entry, bodies) lives in. */
  maxSegment: number;
  /**
   * The lowest segment any record of this entry lives in (bodies are appended before the entry record, so they can
   * sit in the segment before `loc.segment`). Default: `loc.segment`.
   */
  minSegment?: number;
  /** Bytes this entry occupies in the log (entry + body records). */
  bytes: number;
  /** Whether it has body files outside the log (large bodies written by proxy workers). */
  externalBodies: boolean;
  search: SearchText;
}

/**
 * Text to tokenize. Bodies come raw (still content-encoded) so decoding happens in the worker, off the event loop;
 * the worker decodes (gzip/deflate/br/zstd, charset) and indexes a bounded prefix of the text.
 */
export interface SearchText {
  url: string;
  /** Header names and values of both sides, one per line. */
  headers: string;
  /** Error message, if the exchange failed. */
  error?: string;
  requestBody?: RawBodyForSearch;
  responseBody?: RawBodyForSearch;
}

export interface RawBodyForSearch {
  bytes: Uint8Array;
  /** Content-Encoding header value, if any. */
  contentEncoding?: string;
  /** Content-Type header value, if any. */
  contentType?: string;
}

/** Where an indexed entry's record is, with what the store needs to read it and account for it. */
export interface IndexedRef {
  entryId: string;
  seq: number;
  loc: RecordLocation;
}

/** Log positions up to which the index holds every record: the replay starting point after a reopen. */
export type Watermarks = Record<string, { segment: number; offset: number }>;

/** What a session log holds as it was opened (its torn tail cut): each segment's bytes, and its end. */
export interface LogExtent {
  segments: SegmentInfo[];
  end: { segment: number; offset: number };
}

export interface IndexOpenResult {
  watermarks: Watermarks;
  /** Entry count per session, as indexed. */
  counts: Record<string, number>;
  /** Set when index.db was missing or unreadable (moved aside): every log must be replayed from its start. */
  rebuilt?: string;
}

/**
 * The main-thread side. Every call is a message to the worker; the worker handles them strictly in order, so a
 * query sent after an insert sees it. Methods that return void are fire-and-forget (errors reach onError).
 */
export interface IndexClient {
  /**
   * `through`: the session log position just after the last record of this batch. The rows are handed over: a body
   * prefix that is a whole buffer of its own is moved to the worker (its bytes are gone here afterwards).
   */
  insert(rows: IndexRow[], through: Record<string, { segment: number; offset: number }>): void;
  patch(sessionId: string, entryId: string, patch: { tags?: string[]; notes?: string }): void;
  deleteEntries(sessionId: string, entryIds: string[]): Promise<IndexedRef[]>;
  deleteSession(sessionId: string): void;
  /** Deletes the session's entries with seq <= throughSeq; answers their ids and the byte total they held. */
  evictThrough(sessionId: string, throughSeq: number): Promise<{ ids: string[]; bytes: number }>;
  /** The seq of the `n`-th oldest entry of the session (1 = oldest), or undefined when it has fewer. */
  nthSeq(sessionId: string, n: number): Promise<number | undefined>;
  /**
   * The lowest segment that still holds a record of a live entry of the session (segments below it can be
   * unlinked), or undefined when the session has no entries.
   */
  lowestLiveSegment(sessionId: string): Promise<number | undefined>;
  /** The highest seq whose entry lives entirely in segments <= `segment` (for evicting a whole segment). */
  maxSeqThroughSegment(sessionId: string, segment: number): Promise<number | undefined>;
  /**
   * At open, after the session's log cut its torn tail: deletes the rows of records past what the log holds (a kill
   * between the index's commit and the log's fsync left them) and moves a watermark past the log's end back to it.
   * Answers the ids deleted, and the watermark when it was moved.
   */
  dropPastLog(sessionId: string, extent: LogExtent): Promise<{ ids: string[]; watermark?: LogExtent['end'] }>;
  get(sessionId: string, entryId: string): Promise<IndexedRef | undefined>;
  /** Chronological by startedAt then seq, oldest first; `total` is the session's count. */
  list(sessionId: string, offset: number, limit: number): Promise<{ refs: IndexedRef[]; total: number }>;
  /** Keyset page: entries after `after` (startedAt ms, seq) in list order. */
  listAfter(sessionId: string, after: { startedAt: number; seq: number } | undefined, limit: number): Promise<IndexedRef[]>;
  /**
   * Entries whose indexed text contains every token of `text` (FTS4 MATCH, the last token as a prefix), oldest first,
   * at most `limit`.
   */
  search(sessionId: string, text: string, limit: number): Promise<IndexedRef[]>;
  /** Fold the WAL into index.db now (every insert batch is on disk already, with the watermarks it covers). */
  snapshot(): Promise<void>;
  /** Checkpoint and stop the worker. */
  close(): Promise<void>;
  /** Rows posted and not yet indexed (optional: added after the first version of this interface). */
  backlog?(): IndexBacklog;
}

/**
 * Inserts never wait for the worker, so a worker slower than the traffic builds a queue of posted rows (and every
 * query waits behind it). `over` says the queue passed `limit`; posting goes on (capture is never blocked).
 */
export interface IndexBacklog {
  rows: number;
  limit: number;
  over: boolean;
  /** The largest `rows` seen since the index opened. */
  peak: number;
}
