/**
 * What the UI says about the store's usage: sizes for people, the "about to fill" warning, and eviction notices
 * summed per reason. Pure, so the thresholds and the aggregation are tested without a browser.
 */
import type { EvictionEvent, StorageStatus, StorageUsage } from '../../../src-shared/model.js';

/** `GET /storage` as the UI reads it: a server from before usage existed sends the status alone. */
export type StorageView = StorageStatus & { usage?: StorageUsage };

/** The warning shows from here on (a fraction of either budget). */
export const WARN_AT = 0.8;
/** A dismissed warning comes back once usage reaches the next of these steps (percent). */
const WARN_LEVELS = [80, 90, 95, 99] as const;

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** 1536 → "1.5 KiB", 2 GiB → "2 GiB": one decimal below 10 of a unit, none above, trailing ".0" dropped. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${Number(value.toFixed(digits))} ${UNITS[unit]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** used/max as a fraction in [0, 1]; a budget of 0 or less counts as "no budget". */
export function fraction(used: number, max: number): number {
  return max > 0 ? Math.min(1, Math.max(0, used / max)) : 0;
}

export interface UsageWarning {
  /** Rounded down, so "85% full" is never shown at 84.6%. */
  percent: number;
  /** The highest WARN_LEVELS step reached: what a dismissal remembers. */
  level: number;
  text: string;
}

/** Past WARN_AT of either budget: how full, of which budget, and what will happen; else undefined. */
export function usageWarning(usage: StorageUsage | undefined): UsageWarning | undefined {
  if (!usage) return undefined;
  const byBytes = fraction(usage.bytes, usage.maxBytes);
  const byEntries = fraction(usage.entries, usage.maxEntries);
  const worst = Math.max(byBytes, byEntries);
  if (worst < WARN_AT) return undefined;
  const percent = Math.floor(worst * 100);
  const level = [...WARN_LEVELS].reverse().find((l) => percent >= l) ?? WARN_LEVELS[0];
  const of =
    byBytes >= byEntries
      ? `${formatBytes(usage.bytes)} of ${formatBytes(usage.maxBytes)}`
      : `${formatCount(usage.entries)} of ${formatCount(usage.maxEntries)} entries`;
  const raise = byBytes >= byEntries ? '--max-store-bytes' : 'the total entry limit';
  const evicted = usage.evicted > 0 ? ` ${formatCount(usage.evicted)} entr${usage.evicted === 1 ? 'y has' : 'ies have'} been evicted so far.` : '';
  return {
    percent,
    level,
    text: `Storage is ${percent}% full (${of}): the oldest entries of stopped sessions will be evicted first — raise ${raise} or delete sessions.${evicted}`,
  };
}

/** A warning dismissed at `dismissedLevel` stays hidden until usage reaches a higher step (or drops below WARN_AT). */
export function warningShown(warning: UsageWarning | undefined, dismissedLevel: number | null): boolean {
  return !!warning && (dismissedLevel === null || warning.level > dismissedLevel);
}

export type EvictionReason = EvictionEvent['reason'];

/** Evictions of one session since its notice was last dismissed, summed per reason. */
export interface EvictionNotice {
  sessionId: string;
  byReason: Partial<Record<EvictionReason, { count: number; limit?: number }>>;
}

/**
 * Adds the events of the open session to its notice (others' are not this table's news); a notice of another
 * session is replaced. Returns the same object when nothing applies, so a store update can be skipped.
 */
export function addEvictions(notice: EvictionNotice | null, events: readonly EvictionEvent[], sessionId: string | null): EvictionNotice | null {
  const mine = events.filter((e) => e.sessionId === sessionId && e.count > 0);
  if (!sessionId || mine.length === 0) return notice;
  const byReason = notice?.sessionId === sessionId ? { ...notice.byReason } : {};
  for (const e of mine) {
    const before = byReason[e.reason];
    byReason[e.reason] = { count: (before?.count ?? 0) + e.count, limit: e.limit ?? before?.limit };
  }
  return { sessionId, byReason };
}

const REASON_WORDS: Record<EvictionReason, string> = {
  'session-limit': 'session limit',
  'total-entries': 'total entry limit',
  'store-bytes': 'storage limit',
  expired: 'retention period',
};

/** The global budgets are in the report: they name the limit when the event did not. */
function limitOf(reason: EvictionReason, given: number | undefined, usage: StorageUsage | undefined): string {
  const limit = given ?? (reason === 'total-entries' ? usage?.maxEntries : reason === 'store-bytes' ? usage?.maxBytes : undefined);
  if (limit === undefined || reason === 'expired') return '';
  return ` (${reason === 'store-bytes' ? formatBytes(limit) : formatCount(limit)})`;
}

/** "312 oldest entries evicted: session limit (1,000)", one clause per reason. */
export function evictionNoticeText(notice: EvictionNotice, usage?: StorageUsage): string {
  const parts = (Object.keys(REASON_WORDS) as EvictionReason[]).flatMap((reason) => {
    const item = notice.byReason[reason];
    if (!item) return [];
    const noun = item.count === 1 ? 'oldest entry' : 'oldest entries';
    return [`${formatCount(item.count)} ${noun} evicted: ${REASON_WORDS[reason]}${limitOf(reason, item.limit, usage)}`];
  });
  return parts.join('; ');
}
