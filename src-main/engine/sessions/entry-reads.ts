/**
 * Reading and annotating a session's entries: pages, one entry with its bodies, body bytes (raw or decoded),
 * search, tags and notes. Every read writes the queued entries first (the context's `record`).
 */
import { ApiError } from '../../../src-shared/errors.js';
import type { ParsedInputOf } from '../../../src-shared/contract.js';
import type { Entry, EntryPage } from '../../../src-shared/model.js';
import { decodedBodyBytes, entryWithBodies } from '../body/body-view.js';
import type { BodySide, RecorderStore, SessionRecord } from '../store/store-types.js';
import { bodyGone } from './body-gone-error.js';
import type { StreamHub } from './stream-hub.js';

export interface EntryReadsContext {
  store: RecorderStore;
  hub: StreamHub;
  /** The session's record (after the queue is written); not_found when there is none. */
  record(id: string): SessionRecord;
}

/** listEntries' input with the table's defaults optional (callers inside the engine: tests, benchmarks). */
export type ListEntriesInput = Pick<ParsedInputOf<'listEntries'>, 'id'> & Partial<ParsedInputOf<'listEntries'>>;

export class EntryReads {
  constructor(private readonly ctx: EntryReadsContext) {}

  async list({ id, offset = 0, limit = 100, bodies = true }: ListEntriesInput): Promise<EntryPage> {
    this.ctx.record(id);
    const { entries, total } = await this.ctx.store.listEntries(id, offset, limit);
    const out = bodies ? await Promise.all(entries.map((e) => this.withBodies(e))) : entries;
    return { entries: out, total, offset, limit };
  }

  async get({ id, entryId }: { id: string; entryId: string }): Promise<{ entry: Entry }> {
    return { entry: await this.withBodies(await this.entry(id, entryId)) };
  }

  async patch({ id, entryId, ...patch }: ParsedInputOf<'patchEntry'>): Promise<{ entry: Entry }> {
    await this.entry(id, entryId);
    const tags = patch.tags ? [...new Set(patch.tags)] : undefined;
    const updated = await this.ctx.store.updateEntry(id, entryId, { ...(tags ? { tags } : {}), ...(patch.notes !== undefined ? { notes: patch.notes } : {}) });
    if (!updated) throw new ApiError('not_found', `entry ${entryId} not found in session ${id}`);
    this.ctx.hub.publish(id, { type: 'entry-updated', entry: updated });
    return { entry: await this.withBodies(updated) };
  }

  /** Raw captured bytes, or their decoded form. */
  async body(id: string, entryId: string, side: BodySide, decoded: boolean): Promise<{ bytes: Buffer; contentType?: string }> {
    let entry = await this.entry(id, entryId);
    const stored = await this.ctx.store.readBody(id, entryId, side);
    // The read itself may have found the body lost: the entry then says so.
    if (stored === undefined) entry = await this.entry(id, entryId);
    const info = side === 'request' ? entry.request.body : entry.response?.body;
    const gone = stored === undefined ? bodyGone(info, side, entryId) : undefined;
    if (gone) throw gone;
    const raw = stored ?? Buffer.alloc(0);
    if (!decoded) return { bytes: raw, contentType: info?.contentType };
    // Content-encodings undone, charset kept: the bytes still match the recorded Content-Type.
    return { bytes: decodedBodyBytes(entry, side, raw), contentType: info?.contentType };
  }

  /** Ids of the session's entries whose URL, headers or decoded bodies contain `text` (case-insensitive). */
  async search(id: string, text: string, limit?: number): Promise<string[]> {
    this.ctx.record(id);
    return this.ctx.store.searchEntries(id, text, limit);
  }

  private async withBodies(entry: Entry): Promise<Entry> {
    const { store } = this.ctx;
    const [request, response] = await Promise.all([store.readBody(entry.sessionId, entry.id, 'request'), store.readBody(entry.sessionId, entry.id, 'response')]);
    // A read that found a body file missing marked the entry: show that, not the copy read before.
    const missing = (request === undefined && entry.request.body.capturedSize > 0) || (response === undefined && (entry.response?.body.capturedSize ?? 0) > 0);
    const current = missing ? ((await store.getEntry(entry.sessionId, entry.id)) ?? entry) : entry;
    return entryWithBodies(current, (side) => (side === 'request' ? request : response));
  }

  private async entry(id: string, entryId: string): Promise<Entry> {
    this.ctx.record(id);
    const entry = await this.ctx.store.getEntry(id, entryId);
    if (!entry) throw new ApiError('not_found', `entry ${entryId} not found in session ${id}`);
    return entry;
  }
}
