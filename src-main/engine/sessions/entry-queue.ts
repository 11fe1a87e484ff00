/**
 * Captured entries queued and written in batches a few milliseconds later, so that the store's per-call cost stays
 * off each exchange. Every read of the Recorder flushes this queue first: nothing is ever invisible to the API.
 */
import type { Entry } from '../../../src-shared/model.js';
import type { EntryBodies, RecorderStore } from '../store/store-types.js';
import type { StreamHub } from './stream-hub.js';

/** At most this many queued, or this long. */
const MAX_PENDING = 256;
const FLUSH_DELAY_MS = 20;

export class EntryQueue {
  private pending = new Map<string, Array<{ entry: Entry; bodies: EntryBodies }>>();
  private count = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: RecorderStore,
    private readonly hub: StreamHub,
  ) {}

  append(entry: Entry, bodies: EntryBodies): void {
    let queue = this.pending.get(entry.sessionId);
    if (!queue) this.pending.set(entry.sessionId, (queue = []));
    queue.push({ entry, bodies });
    if (++this.count >= MAX_PENDING) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_DELAY_MS);
  }

  /** Write queued entries now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.count === 0) return;
    const batches = this.pending;
    this.pending = new Map();
    this.count = 0;
    for (const [sessionId, items] of batches) {
      if (!this.store.getSession(sessionId)) continue; // deleted meanwhile
      // Published before the insert: an eviction the store reports while inserting must follow its entry.
      for (const { entry } of items) this.hub.publish(sessionId, { type: 'entry', entry });
      this.store.insertEntries(items);
    }
  }
}
