/**
 * The budgets of the history store (segment-store.ts): entries per session, entries in all, bytes in all. Past one,
 * the oldest entries are evicted (FIFO by seq: one Evicted record, index rows deleted, segments that then hold
 * nothing live unlinked whole). One eviction pass runs at a time, so the counts it reads are never stale.
 */
import type { StorageUsage } from '../../../src-shared/model.js';
import { errorMessage } from './fs-util.js';
import { RecordType } from './segments/segment-types.js';
import type { SessionState, StoreContext } from './store-context.js';
import type { StoreWriter } from './store-writer.js';
import type { EvictionReason } from './store-types.js';

/** How soon after an insert the budgets are enforced (see soon). */
const ENFORCE_DELAY_MS = 100;

/**
 * Past a large entry budget, a thousandth of it more is evicted at once: eviction then runs every few hundred
 * milliseconds at full speed, not on every batch (each pass is several index round trips and a transaction of its
 * own). Small budgets are kept exactly.
 */
export function evictionSlack(limit: number): number {
  return Number.isFinite(limit) && limit >= 10_000 ? Math.floor(limit / 1000) : 0;
}

export class StoreBudgets {
  private enforcing: Promise<void> | undefined;
  private enforceAgain = false;
  private enforceTimer: NodeJS.Timeout | undefined;
  private evictedByBudget = 0;

  constructor(private readonly ctx: StoreContext, private readonly writer: StoreWriter) {}

  /** Whether an eviction pass runs now. */
  get busy(): boolean {
    return this.enforcing !== undefined;
  }

  /** Waits for the pass that runs now, if any (its failure was reported already). */
  async idle(): Promise<void> {
    await this.enforcing?.catch(() => undefined);
  }

  /** Starts a pass now when a budget is exceeded (or right after the one that runs). */
  schedule(): void {
    if (this.enforcing) {
      this.enforceAgain = true;
      return;
    }
    if (!this.overAnyLimit()) return;
    this.enforcing = this.enforce()
      .catch((error: unknown) => this.ctx.warn(`history store: eviction failed (${errorMessage(error)})`))
      .finally(() => {
        this.enforcing = undefined;
        if (this.enforceAgain && !this.ctx.closed) {
          this.enforceAgain = false;
          this.schedule();
        }
      });
  }

  /**
   * Budgets are enforced within ENFORCE_DELAY_MS of an insert, not after every batch: an eviction pass makes the
   * index write what it has gathered at once (its batches become small and dear again, see index-worker.ts) and is
   * several round trips itself. A session at its limit so holds at most that much traffic over it, briefly, and
   * never in what a read answers (the store's ready() settles the budgets first).
   */
  soon(): void {
    if (this.enforceTimer || this.ctx.closed) return;
    this.enforceTimer = setTimeout(() => {
      this.enforceTimer = undefined;
      if (!this.ctx.closed) this.schedule();
    }, ENFORCE_DELAY_MS);
  }

  /** A budget pass that waits (see soon) runs now: what a read answers is always within the budgets. */
  async settle(): Promise<void> {
    if (this.enforceTimer) {
      clearTimeout(this.enforceTimer);
      this.enforceTimer = undefined;
      this.schedule();
    }
    await this.idle();
  }

  /**
   * Runs `query` (an index call) once no budget is exceeded, in the same turn as the last check, so that its answer
   * (a page's total, say) is within the budgets even while entries keep arriving.
   */
  async within<T>(query: () => Promise<T>): Promise<T> {
    for (let round = 0; round < 3 && this.overAnyLimit(); round++) {
      await this.settle();
      if (this.overAnyLimit()) this.schedule();
      await this.idle();
    }
    this.writer.postRows();
    return query();
  }

  /** On close: no pass starts after this. */
  stop(): void {
    clearTimeout(this.enforceTimer);
  }

  overAnyLimit(): boolean {
    const perSession = this.ctx.options.maxEntriesPerSession;
    if (perSession !== undefined) for (const s of this.ctx.states.values()) if (s.count > perSession) return true;
    return this.ctx.totalEntries() > this.ctx.options.maxTotalEntries || this.ctx.totalBytes() > this.ctx.options.maxStoreBytes;
  }

  usage(): StorageUsage {
    const sessions = [...this.ctx.states.values()].map((s) => ({ sessionId: s.id, entries: s.count, bytes: s.log.totalBytes + s.externalBytes }));
    return {
      entries: this.ctx.totalEntries(),
      bytes: this.ctx.totalBytes(),
      maxEntries: this.ctx.options.maxTotalEntries,
      maxBytes: this.ctx.options.maxStoreBytes,
      evicted: this.evictedByBudget,
      sessions,
    };
  }

  /**
   * The counts kept here follow inserts and evictions; the index's are the truth (a batch the worker refused, say,
   * is not in it). Every few seconds, while no eviction runs, the difference is carried over.
   */
  async reconcileCounts(): Promise<void> {
    if (this.enforcing || this.ctx.closed) return;
    this.writer.postRows();
    for (const state of [...this.ctx.states.values()]) {
      const before = state.count;
      const { total } = await this.ctx.index.list(state.id, 0, 0).catch(() => ({ total: before }));
      if (this.enforcing || total === before) continue;
      this.ctx.warn(`history store: session ${state.id} counted ${before} entries, its index holds ${total}; using the index's count`);
      state.count += total - before;
    }
  }

  /** One eviction at a time, until every limit holds: the counts it reads are then never stale. */
  private async enforce(): Promise<void> {
    this.writer.postRows();
    const { maxEntriesPerSession: perSession, maxTotalEntries, maxStoreBytes } = this.ctx.options;
    if (perSession !== undefined) {
      for (const state of [...this.ctx.states.values()]) {
        if (state.count > perSession) await this.evictOldest(state, state.count - perSession + evictionSlack(perSession), 'session-limit');
      }
    }
    for (let guard = 0; guard < 10_000 && this.ctx.totalEntries() > maxTotalEntries; guard++) {
      const victim = this.victim();
      if (!victim) break;
      const excess = this.ctx.totalEntries() - maxTotalEntries + evictionSlack(maxTotalEntries);
      await this.evictOldest(victim, Math.min(excess, victim.count), 'total-entries');
    }
    for (let guard = 0; guard < 10_000 && this.ctx.totalBytes() > maxStoreBytes; guard++) {
      const victim = this.victim((s) => s.log.segments().length > 1);
      if (!victim) break;
      const before = this.ctx.totalBytes();
      await this.evictOldestSegment(victim);
      // Nothing freed (the victim's only old segment is still in use): try again after the next insert, not now.
      if (this.ctx.totalBytes() >= before) break;
    }
  }

  /** Stopped sessions first (the one stopped longest ago), then running ones (the one started longest ago). */
  private victim(extra: (s: SessionState) => boolean = () => true): SessionState | undefined {
    const { sessions } = this.ctx;
    const candidates = [...this.ctx.states.values()].filter((s) => s.count > 0 && sessions.has(s.id) && extra(s));
    const rank = (s: SessionState): [number, string] => {
      const r = sessions.get(s.id)!;
      return r.status === 'stopped' ? [0, r.stoppedAt ?? r.startedAt] : [1, r.startedAt];
    };
    candidates.sort((a, b) => {
      const [ra, ta] = rank(a);
      const [rb, tb] = rank(b);
      return ra - rb || ta.localeCompare(tb);
    });
    return candidates[0];
  }

  private async evictOldest(state: SessionState, count: number, reason: EvictionReason): Promise<void> {
    if (count <= 0) return;
    const through = await this.ctx.index.nthSeq(state.id, count);
    if (through === undefined) return;
    await this.evictThrough(state, through, reason);
  }

  /**
   * Frees the session's oldest segment: every entry that lives entirely in it goes, and so does one whose body is in
   * it but whose entry record went to the next segment (the index knows both ends of every entry).
   */
  private async evictOldestSegment(state: SessionState): Promise<void> {
    const oldest = state.log.segments()[0]!.segment;
    const lowest = await this.ctx.index.lowestLiveSegment(state.id);
    if (lowest === undefined || lowest > oldest) {
      // Nothing live in it (headers, tombstones, evicted entries): it can go as it is.
      await state.log.deleteSegmentsBefore(Math.min(lowest ?? state.log.activeSegment, state.log.activeSegment));
      return;
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      let through = attempt === 0 ? await this.ctx.index.maxSeqThroughSegment(state.id, oldest) : undefined;
      if (through === undefined || through <= state.evictedThrough) through = await this.ctx.index.nthSeq(state.id, 1);
      if (through === undefined) return;
      await this.evictThrough(state, through, 'store-bytes');
      const after = await this.ctx.index.lowestLiveSegment(state.id);
      if (after === undefined || after > oldest) return;
    }
  }

  private async evictThrough(state: SessionState, throughSeq: number, reason: EvictionReason): Promise<void> {
    state.evictedThrough = Math.max(state.evictedThrough, throughSeq);
    this.writer.append(state, RecordType.Evicted, Buffer.from(JSON.stringify({ throughSeq })));
    const { ids } = await this.ctx.index.evictThrough(state.id, throughSeq);
    state.count = Math.max(0, state.count - ids.length);
    this.ctx.cache.forget(state.id, ids);
    this.ctx.annotations.forgetEntries(state.id, ids);
    await this.writer.dropExternal(state, ids);
    if (reason !== 'session-limit') this.evictedByBudget += ids.length;
    const lowest = await this.ctx.index.lowestLiveSegment(state.id);
    await state.log.deleteSegmentsBefore(lowest ?? state.log.activeSegment);
    if (ids.length > 0) this.ctx.options.onEvicted?.({ sessionId: state.id, ids, reason });
  }
}
