/**
 * The recorder's data model, as it crosses the API. Shapes follow the recorder reference
 * (seed-traffic-recorder.txt): a session as `POST /start` answers it, an entry as the `/ws` stream shows it.
 */

import type { MapLocalConfig } from './mocks.js';
import type { ModifiedExchange, SessionModifications } from './modifications.js';
import type { InjectedToxic, SessionToxics } from './toxics.js';

export type SessionMode = 'reverse' | 'forward';
export type SessionStatus = 'running' | 'stopped';

/** Every protocol the model has room for; the engine records `http` and `tunnel` today. */
export const ENTRY_TYPES = ['http', 'tunnel', 'websocket', 'sse', 'grpc', 'soap', 'mcp'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export interface ScopeFilters {
  includeHosts?: string[];
  excludeHosts?: string[];
  includePaths?: string[];
  excludePaths?: string[];
  includeMethods?: string[];
  excludeStatus?: number[];
}

export interface MitmConfig {
  enabled: boolean;
  includeHosts?: string[];
  excludeHosts?: string[];
}

export interface Session {
  id: string;
  name: string;
  mode: SessionMode;
  targetUrl?: string;
  listenPort: number;
  listenHost: string;
  /** The address to hand an application: `http://127.0.0.1:PORT` (or the bound host). */
  proxyUrl: string;
  namespace: string;
  status: SessionStatus;
  entryCount: number;
  createdAt: string;
  expiresAt: string;
  startedAt: string;
  stoppedAt?: string;
  filters: ScopeFilters;
  mitm?: MitmConfig;
  ignoreUpstreamCertErrors?: boolean;
  /** The session's toxics as given (src-shared/toxics.ts); replaced live by `PUT /:id/toxics`. */
  toxics?: SessionToxics;
  /** The session's modification rules as given (src-shared/modifications.ts); replaced live by `PUT /:id/modifications`. */
  modifications?: SessionModifications;
  /** Map local as given: requests matching a mock of the namespace are answered from it (src-shared/mocks.ts). */
  mapLocal?: MapLocalConfig;
  /** Whether recorded data is reaching the disk (store-wide; `droppedBodies` counts this session's). */
  storage?: StorageStatus;
}

/**
 * Whether the history store can save what is captured. `failing`: the disk refuses writes (full, read-only);
 * capture goes on, entries are kept, and bodies that no longer fit the memory budget are dropped and flagged.
 */
export interface StorageStatus {
  state: 'ok' | 'failing';
  /** The last write error, while failing. */
  error?: string;
  /** When the current state began. */
  since: string;
  /** Bodies not saved (flagged `dropped` on their entries) since the server started. */
  droppedBodies: number;
  /** Bytes of bodies and journal held in memory, waiting for the disk; never more than about `maxPendingBytes`. */
  pendingBytes: number;
  maxPendingBytes: number;
  /** Start of the last fully successful save: everything recorded before it is on disk. */
  savedAt?: string;
}

/** What the store holds against its budgets (`GET /api/v1/recorder/storage`'s `usage`). */
export interface StorageUsage {
  entries: number;
  /** Bytes on disk: session logs, body files and the index. */
  bytes: number;
  maxEntries: number;
  maxBytes: number;
  /** Entries evicted by a store-wide budget since the server started. */
  evicted: number;
  sessions: SessionUsage[];
}

/** `GET /api/v1/recorder/storage`: the store's state and its usage. */
export type StorageReport = StorageStatus & { usage: StorageUsage };

export interface SessionUsage {
  sessionId: string;
  entries: number;
  bytes: number;
}

/**
 * A header as it was on the wire: original case, order and duplicates kept. The value is text: bytes that are
 * not all ASCII show as UTF-8 when they are valid UTF-8, else one Latin-1 character per byte; the exact bytes of
 * such a value are in the side's `rawHeaderValues`.
 */
export type HeaderPair = [name: string, value: string];

/**
 * The exact bytes (base64) of each header value that is not plain ASCII, keyed by its index in `headers`.
 * A value without an entry here is exactly its Latin-1 encoding (ASCII, or an entry recorded before this existed).
 */
export type RawHeaderValues = Record<string, string>;

export interface BodyInfo {
  /** Full size in bytes as transferred (still content-encoded), even when only part was captured. */
  size: number;
  /** Bytes kept (at most the capture limit). */
  capturedSize: number;
  truncated: boolean;
  /** The Content-Encoding the raw bytes carry, if any. */
  contentEncoding?: string;
  contentType?: string;
  /** Decoded body, present when the entry is read with bodies: UTF-8 text, or base64 for binary. */
  text?: string;
  base64?: string;
  /** Why the decoded body could not be produced (unknown encoding, corrupt gzip, truncated stream). */
  decodeError?: string;
  /** The bytes were not saved (storage failing or over the memory budget); `droppedReason` says why. */
  dropped?: true;
  droppedReason?: string;
  /** The bytes were saved to a file that is now missing or short (e.g. after a crash): they are gone. */
  lost?: true;
  /** The WHATWG encoding `text` was decoded from (e.g. `windows-1252` for `charset=iso-8859-1`); set with `text`. */
  charset?: string;
}

export interface EntryRequest {
  method: string;
  url: string;
  httpVersion: string;
  headers: HeaderPair[];
  body: BodyInfo;
  remoteAddress?: string;
  remotePort?: number;
  /** Trailer fields that followed a chunked body. */
  trailers?: HeaderPair[];
  /** Exact bytes of the non-ASCII values in `headers`. */
  rawHeaderValues?: RawHeaderValues;
  /** Exact bytes of the non-ASCII values in `trailers`. */
  rawTrailerValues?: RawHeaderValues;
}

/** An interim (1xx) response that came before the final one: 100 Continue, 103 Early Hints... */
export interface InterimResponse {
  statusCode: number;
  statusMessage: string;
  headers: HeaderPair[];
  /** Exact bytes of the non-ASCII values in `headers`. */
  rawHeaderValues?: RawHeaderValues;
}

/** The request as it went upstream, where it differs from the one the client sent (`Entry.request`). */
export interface UpstreamRequest {
  method: string;
  url: string;
  /** Exactly as written upstream: Host rewritten, proxy headers dropped, `Via`/`Connection` added... */
  headers: HeaderPair[];
  /** Exact bytes of the non-ASCII values in `headers`. */
  rawHeaderValues?: RawHeaderValues;
}

export interface EntryResponse {
  statusCode: number;
  statusMessage: string;
  httpVersion: string;
  headers: HeaderPair[];
  body: BodyInfo;
  /** Interim responses in the order they arrived. */
  interim?: InterimResponse[];
  trailers?: HeaderPair[];
  /** Exact bytes of the non-ASCII values in `headers`. */
  rawHeaderValues?: RawHeaderValues;
  /** Exact bytes of the non-ASCII values in `trailers`. */
  rawTrailerValues?: RawHeaderValues;
}

/** Upstream-leg phases in milliseconds; -1 where a phase did not happen (e.g. a reused connection). */
export interface Timings {
  dnsMs: number;
  connectMs: number;
  tlsMs: number;
  sendMs: number;
  waitMs: number;
  recvMs: number;
  totalMs: number;
}

export interface EntryError {
  code: string;
  message: string;
}

/** A CONNECT tunnel passed through without interception. */
export interface TunnelInfo {
  host: string;
  port: number;
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
}

export interface Entry {
  id: string;
  sessionId: string;
  entryType: EntryType;
  startedAt: string;
  request: EntryRequest;
  response?: EntryResponse;
  /** What the upstream received, present only where it differs from `request`. */
  upstreamRequest?: UpstreamRequest;
  durationMs: number;
  timings: Timings;
  tags: string[];
  notes: string;
  /** Answered by map local from a mock of the local store, never by the upstream (`mapLocalMockId` says which). */
  mapLocal: boolean;
  /** The id of the mock that answered, when `mapLocal`. */
  mapLocalMockId?: string;
  error?: EntryError;
  tunnel?: TunnelInfo;
  /** Set when the session accepted an upstream certificate that does not verify. */
  upstreamCertErrorsIgnored?: boolean;
  /** A body of this entry was saved but is gone (its BodyInfo says `lost`); its body endpoint answers 410. */
  bodyLost?: true;
  /** What the session's toxics did to this exchange (an injected error, a reset, a delay...). */
  injected?: InjectedToxic;
  /** What the session's modification rules did (rules applied, the response before them); see src-shared/modifications.ts. */
  modified?: ModifiedExchange;
}

export const EVICT_ENTRY_ID = '__evict__';

/** Messages on `GET /api/v1/recorder/:id/ws`, exactly as the reference shows them. */
export type StreamMessage =
  | { type: 'entry'; entry: Entry }
  | { type: 'entry'; entry: { id: typeof EVICT_ENTRY_ID; notes: string } }
  | { type: 'entry-updated'; entry: Entry }
  | { type: 'pending'; entry: PendingEntry }
  | { type: 'session'; session: Session }
  | { type: 'evicted'; eviction: EvictionEvent };

/**
 * Entries removed to keep within a limit (each also goes out as an `__evict__` entry message, as the reference
 * does): says how many and why, so a client can tell the user.
 */
export interface EvictionEvent {
  sessionId: string;
  count: number;
  reason: 'session-limit' | 'total-entries' | 'store-bytes' | 'expired';
  /** The limit that was reached (entries, or bytes for `store-bytes`), so a notice can name it; absent if unknown. */
  limit?: number;
}

/**
 * A request whose exchange has begun but not finished: announced so that a slow request shows at once. The
 * finished entry arrives later with the same `id` (or an eviction of that id when the scope filters drop it).
 */
export interface PendingEntry {
  id: string;
  sessionId: string;
  method: string;
  url: string;
  startedAt: string;
}

export interface PortDetail {
  port: number;
  sessionId: string;
  sessionName: string;
}

export interface PortsStatus {
  used: number;
  max: number;
  rangeStart: number;
  rangeEnd: number;
  details: PortDetail[];
}

export interface PortCheck {
  port: number;
  available: boolean;
  reason?: string;
}

export interface EntryPage {
  entries: Entry[];
  total: number;
  offset: number;
  limit: number;
}
