import { defaultEngineConfig, type EngineLimits } from '../../../src-shared/engine-config.js';
import type { ConnectionLimits } from '../proxy/connection-guards.js';

/** The engine's limits, declared (with defaults, bounds and meaning) in src-shared/engine-config.ts. */
export type RecorderLimits = EngineLimits;

/** The defaults are the recorder reference's limits table. */
export const DEFAULT_LIMITS: RecorderLimits = defaultEngineConfig().limits;

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
export function storeBudgetsOf(limits: RecorderLimits): Pick<RecorderLimits, 'maxEntriesPerSession' | 'maxTotalEntries' | 'maxStoreBytes'> {
  return { maxEntriesPerSession: limits.maxEntriesPerSession, maxTotalEntries: limits.maxTotalEntries, maxStoreBytes: limits.maxStoreBytes };
}
