/**
 * Whether the history store is saving: which of its writers (session logs, sessions.json, annotations) fail, since
 * when, and up to when everything recorded is on disk (`savedAt`). Part of SegmentStore (segment-store.ts).
 */
import type { StorageStatus } from '../../../src-shared/model.js';
import type { StoreContext } from './store-context.js';

type LogEnd = { segment: number; offset: number };

/** Marks kept at most: one per tick (~16 s at the default flush interval), while a log is slow to catch up. */
const MAX_MARKS = 64;

export class WriteHealth {
  private readonly failures = new Map<string, string>();
  private failingSince = new Date().toISOString();
  private okSince = new Date().toISOString();
  private readonly marks: { at: string; ends: Map<string, LogEnd> }[] = [];
  private lastSavedAt: string | undefined;

  constructor(private readonly ctx: StoreContext) {}

  /**
   * Each writer (a session log, sessions.json, annotations) reports failure and recovery for itself: the store is
   * failing while any of them is, and ok again once every one has written successfully.
   */
  note(source: string, error: Error | undefined): void {
    const wasFailing = this.failures.size > 0;
    if (error) {
      this.failures.set(source, error.message);
      if (!wasFailing) {
        this.ctx.warn(`history store: could not save to ${this.ctx.dataDir}: ${error.message} (capture goes on; will retry)`);
        this.failingSince = new Date().toISOString();
      }
      return;
    }
    if (!this.failures.delete(source) || this.failures.size > 0) return;
    this.ctx.warn(`history store: saving to ${this.ctx.dataDir} works again`);
    this.okSince = new Date().toISOString();
  }

  /** Notes how a write by `source` ended. */
  track(source: string, write: Promise<void>): Promise<void> {
    return write.then(() => this.note(source, undefined), (error: unknown) => this.note(source, error as Error));
  }

  get error(): { error: string; since: string } | undefined {
    if (this.failures.size === 0) return undefined;
    return { error: [...this.failures.values()].at(-1)!, since: this.failingSince };
  }

  /** On every tick: the time and each log's end, for advanceSaved. */
  mark(): void {
    if (this.marks.length < MAX_MARKS) this.marks.push({ at: new Date().toISOString(), ends: new Map([...this.ctx.states].map(([id, st]) => [id, st.log.end()])) });
  }

  /**
   * `savedAt`: on every tick, the time and each log's end are noted; once every log's durable end has passed what
   * was noted, everything recorded before that time is on disk.
   */
  advanceSaved(): void {
    const ahead = (a: LogEnd, b: LogEnd) => a.segment > b.segment || (a.segment === b.segment && a.offset >= b.offset);
    while (this.marks.length > 0) {
      const mark = this.marks[0]!;
      const done = [...mark.ends].every(([id, end]) => {
        const state = this.ctx.states.get(id);
        return !state || ahead(state.log.durableEnd(), end);
      });
      if (!done) break;
      this.lastSavedAt = mark.at;
      this.marks.shift();
    }
  }

  status(sessionId?: string): StorageStatus {
    const pending = this.ctx.pendingBytes();
    let dropped = 0;
    for (const s of this.ctx.states.values()) if (sessionId === undefined || s.id === sessionId) dropped += s.droppedBodies;
    this.advanceSaved();
    // Nothing waiting and nothing failing: everything recorded until now is on disk.
    if (!this.error && pending === 0) this.lastSavedAt = new Date().toISOString();
    const failing = this.error;
    return {
      state: failing ? 'failing' : 'ok',
      ...(failing ? { error: failing.error, since: failing.since } : { since: this.okSince }),
      ...(this.lastSavedAt ? { savedAt: this.lastSavedAt } : {}),
      droppedBodies: dropped,
      pendingBytes: pending,
      maxPendingBytes: this.ctx.options.maxPendingBytes,
    };
  }
}
