import { PORT_RANGE } from '../../../src-shared/schemas.js';
import type { PortRange } from './port-pool.js';
import type { ConnectionLimits } from '../proxy/connection-guards.js';
import { DEFAULT_MAX_STORE_BYTES, DEFAULT_MAX_TOTAL_ENTRIES } from '../store/store-types.js';

/** Defaults are the recorder reference's limits table. */
export interface RecorderLimits {
  maxSessions: number;
  maxEntriesPerSession: number;
  /** Entries in the whole store, every session together; the store evicts past it. */
  maxTotalEntries: number;
  /** Bytes the store may take on disk; the store evicts past it. */
  maxStoreBytes: number;
  sessionTtlMs: number;
  retentionMs: number;
  bodyLimit: number;
  upstreamTimeoutMs: number;
  portRange: PortRange;
  // Client connections of each session proxy. Only connections that have not started anything are cut short (no
  // first byte, an unfinished request head or body, an idle keep-alive): a response may stream, and a WebSocket or
  // tunnel may stay idle, for as long as it likes.
  /** No first byte (on a new connection, or inside a CONNECT tunnel or TLS layer) within this time: closed. */
  idleConnectionTimeoutMs: number;
  headersTimeoutMs: number;
  /** A whole request, body included (0 = no limit): long uploads need it generous. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Open client connections per session; more get a 503 saying so. With proxy workers, shared out among them. */
  maxConnectionsPerSession: number;
}

export const DEFAULT_LIMITS: RecorderLimits = {
  maxSessions: 30,
  maxEntriesPerSession: 1000,
  maxTotalEntries: DEFAULT_MAX_TOTAL_ENTRIES,
  maxStoreBytes: DEFAULT_MAX_STORE_BYTES,
  sessionTtlMs: 4 * 60 * 60 * 1000,
  retentionMs: 5 * 24 * 60 * 60 * 1000,
  bodyLimit: 1024 * 1024,
  upstreamTimeoutMs: 120_000,
  portRange: { start: PORT_RANGE.start, end: PORT_RANGE.end },
  idleConnectionTimeoutMs: 60_000,
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 10 * 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnectionsPerSession: 1_000,
};

/** The connection limits of one session proxy, from the recorder's limits (`share`: that many processes serve it). */
export function connectionLimitsOf(limits: RecorderLimits, share = 1): ConnectionLimits {
  return {
    idleTimeoutMs: limits.idleConnectionTimeoutMs,
    headersTimeoutMs: limits.headersTimeoutMs,
    requestTimeoutMs: limits.requestTimeoutMs,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
    maxConnections: Math.max(1, Math.ceil(limits.maxConnectionsPerSession / Math.max(1, share))),
    // Node checks these every 30 s by default: far too coarse for a short limit.
    timeoutCheckIntervalMs: Math.max(100, Math.min(30_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs || Infinity) / 4))),
  };
}

/** What the store itself enforces of the recorder's limits (see StoreBudgetOptions). */
export function storeBudgetsOf(limits: RecorderLimits): { maxEntriesPerSession: number; maxTotalEntries: number; maxStoreBytes: number } {
  return { maxEntriesPerSession: limits.maxEntriesPerSession, maxTotalEntries: limits.maxTotalEntries, maxStoreBytes: limits.maxStoreBytes };
}
