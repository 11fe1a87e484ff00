/**
 * The reads of the history store (segment-store.ts): the index says where an entry's records are, the log reads
 * them (a page's records in a few large reads), and the annotations are laid over. An entry evicted while it was
 * being read is gone, not damaged; a body that cannot be read is marked lost (its endpoint then answers 410).
 */
import { promises as fsp } from 'node:fs';
import type { Entry } from '../../../src-shared/model.js';
import { bodyFilePath } from './body-files.js';
import { errorMessage } from './fs-util.js';
import type { IndexedRef } from './index/index-types.js';
import { decodeBodyPayload } from './segments/record-codec.js';
import { overlay, type StoredEntry } from './stored-entry.js';
import type { StoreBudgets } from './store-budgets.js';
import type { SessionState, StoreContext } from './store-context.js';
import type { BodySide } from './store-types.js';

/** Read ahead of a page's first entry record: its bodies were appended just before it. */
const PAGE_READ_AHEAD = 64 * 1024;

export class StoreReader {
  constructor(
    private readonly ctx: StoreContext,
    private readonly budgets: StoreBudgets,
    private readonly postRows: () => void,
  ) {}

  async stored(sessionId: string, entryId: string, ref?: IndexedRef): Promise<StoredEntry | undefined> {
    const cached = this.ctx.cache.get(sessionId, entryId);
    if (cached) return cached;
    const state = this.ctx.states.get(sessionId);
    if (!state) return undefined;
    this.postRows();
    const where = ref ?? (await this.ctx.index.get(sessionId, entryId));
    if (!where) return undefined;
    try {
      const record = await state.log.read(where.loc);
      const stored = JSON.parse(record.payload.toString('utf8')) as StoredEntry;
      this.ctx.cache.remember(sessionId, entryId, stored);
      return stored;
    } catch (error) {
      // Evicted while it was being read (its segment went): gone, not damaged.
      if (await this.stillIndexed(sessionId, entryId)) this.ctx.warn(`history store: entry ${entryId} of session ${sessionId} cannot be read (${errorMessage(error)})`);
      return undefined;
    }
  }

  /** One page of a session's entries, oldest first; `offset` and `limit` are whole and not negative. */
  async page(state: SessionState, offset: number, limit: number): Promise<{ entries: Entry[]; total: number }> {
    const sessionId = state.id;
    for (let attempt = 0; ; attempt++) {
      const { refs, total } = await this.budgets.within(() => this.ctx.index.list(sessionId, offset, limit));
      // A page's records, and the bodies between them that the caller reads next, in a few reads (see read-ahead.ts).
      const missing = refs.filter((ref) => !this.ctx.cache.has(sessionId, ref.entryId)).map((ref) => ref.loc);
      if (missing.length > 1) await state.log.prefetch?.(missing, PAGE_READ_AHEAD);
      const stored = await Promise.all(refs.map((ref) => this.stored(sessionId, ref.entryId, ref)));
      // Some were evicted while being read (the oldest page of a full session is what eviction takes): ask again.
      if (stored.some((x) => x === undefined) && attempt < 2) continue;
      const entries: Entry[] = [];
      for (const x of stored) if (x) entries.push(overlay(x.entry, this.ctx.annotations.get(sessionId, x.entry.id)));
      return { entries, total };
    }
  }

  async readBody(sessionId: string, entryId: string, side: BodySide): Promise<Buffer | undefined> {
    const stored = await this.stored(sessionId, entryId);
    const ref = stored?.bodies?.[side];
    const state = this.ctx.states.get(sessionId);
    if (!stored || !ref || !state) return undefined;
    if (this.ctx.annotations.get(sessionId, entryId)?.lost?.includes(side)) return undefined;
    try {
      if ('loc' in ref) {
        const record = await state.log.read(ref.loc);
        return decodeBodyPayload(record.payload).bytes;
      }
      const bytes = await fsp.readFile(bodyFilePath(this.ctx.dataDir, sessionId, entryId, side));
      if (ref.external > 1 && bytes.length !== ref.external) throw new Error(`body file is short (${bytes.length} of ${ref.external} bytes)`);
      return bytes;
    } catch (error) {
      if (await this.stillIndexed(sessionId, entryId)) this.markLost(sessionId, entryId, side, errorMessage(error));
      return undefined;
    }
  }

  private markLost(sessionId: string, entryId: string, side: BodySide, why: string): void {
    this.ctx.warn(`history store: the ${side} body of entry ${entryId} (session ${sessionId}) is gone: ${why}`);
    this.ctx.annotations.set(sessionId, entryId, { lost: [side] });
    this.ctx.index.patch(sessionId, entryId, {});
  }

  private async stillIndexed(sessionId: string, entryId: string): Promise<boolean> {
    return (await this.ctx.index.get(sessionId, entryId).catch(() => undefined)) !== undefined;
  }
}
