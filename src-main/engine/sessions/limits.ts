import { PORT_RANGE } from '../../../src-shared/schemas.js';
import type { PortRange } from './port-pool.js';

/** Defaults are the recorder reference's limits table. */
export interface RecorderLimits {
  maxSessions: number;
  maxEntriesPerSession: number;
  sessionTtlMs: number;
  retentionMs: number;
  bodyLimit: number;
  upstreamTimeoutMs: number;
  portRange: PortRange;
}

export const DEFAULT_LIMITS: RecorderLimits = {
  maxSessions: 30,
  maxEntriesPerSession: 1000,
  sessionTtlMs: 4 * 60 * 60 * 1000,
  retentionMs: 5 * 24 * 60 * 60 * 1000,
  bodyLimit: 1024 * 1024,
  upstreamTimeoutMs: 120_000,
  portRange: { start: PORT_RANGE.start, end: PORT_RANGE.end },
};
