/**
 * The write path of the history store (segment-store.ts): an insert appends the entry's body and entry records to
 * its session's log at once (synchronous, O(record)) and queues its index row; rows go to the index worker in one
 * message per tick. Also the headers every segment starts with, tombstones, and worker-written body files.
 */
import { promises as fsp } from 'node:fs';
import type { Entry } from '../../../src-shared/model.js';
import { bodyFilePath } from './body-files.js';
import { encodeBodyPayload } from './segments/record-codec.js';
import { RecordType, type RecordLocation } from './segments/segment-types.js';
import { indexRowOf, placementOf, sideInfo, stripEntry, type BodyRef, type StoredEntry } from './stored-entry.js';
import type { Item, SegmentHeader, SessionState, StoreContext } from './store-context.js';
import { bodyLength, isWrittenBody, type BodySide } from './store-types.js';
import type { WriteHealth } from './write-health.js';

export class StoreWriter {
  /** Sessions whose log is still opening, and what was inserted for them meanwhile (appended, in order, once open). */
  readonly waiting = new Map<string, Item[]>();
  private droppedEntries = 0;
  private postScheduled = false;

  constructor(private readonly ctx: StoreContext, private readonly health: WriteHealth) {}

  insert(item: Item): void {
    const { entry, bodies } = item;
    const waiting = this.waiting.get(entry.sessionId);
    if (waiting) {
      waiting.push(item);
      return;
    }
    const state = this.ctx.states.get(entry.sessionId);
    if (!state || !this.ctx.sessions.has(entry.sessionId)) return;
    const pending = this.ctx.pendingBytes();
    if (pending > 2 * this.ctx.options.maxPendingBytes) {
      // The disk has been refusing writes for long: even entries no longer fit in memory.
      this.droppedEntries++;
      return;
    }
    const seq = ++state.seq;
    const refs: { request?: BodyRef; response?: BodyRef } = {};
    const kept: { request?: readonly Buffer[]; response?: readonly Buffer[] } = {};
    let stripped = stripEntry(entry);
    for (const side of ['request', 'response'] as const) {
      const body = bodies[side];
      if (body === undefined) continue;
      if (isWrittenBody(body)) {
        refs[side] = { external: body.written };
        state.externalBytes += body.written;
        state.external.set(entry.id, (state.external.get(entry.id) ?? 0) + body.written);
        continue;
      }
      if (this.ctx.pendingBytes() + bodyLength(body) > this.ctx.options.maxPendingBytes) {
        stripped = this.flagDropped(stripped, side, state);
        continue;
      }
      const chunks = Buffer.isBuffer(body) ? [body] : (body as readonly Buffer[]);
      refs[side] = { loc: state.log.append(RecordType.Body, encodeBodyPayload(side, entry.id, chunks)) };
      kept[side] = chunks;
    }
    const stored: StoredEntry = { seq, entry: stripped, ...(refs.request || refs.response ? { bodies: refs } : {}) };
    const loc = this.append(state, RecordType.Entry, Buffer.from(JSON.stringify(stored)));
    state.count++;
    state.rows.push(indexRowOf(stored, placementOf(stored, loc), kept));
  }

  private flagDropped(entry: Entry, side: BodySide, state: SessionState): Entry {
    state.droppedBodies++;
    const mib = Math.round(this.ctx.options.maxPendingBytes / 1024 / 1024);
    const failing = this.health.error;
    const reason = failing
      ? `not saved: storage is failing (${failing.error})`
      : `not saved: more than ${mib} MiB were waiting for the disk`;
    const info = sideInfo(entry, side);
    if (!info) return entry;
    const flagged = { ...info, dropped: true as const, droppedReason: reason };
    if (side === 'request') return { ...entry, request: { ...entry.request, body: flagged } };
    return { ...entry, response: { ...entry.response!, body: flagged } };
  }

  /** Appends, and when that opened a new segment, gives the segment its header right away. */
  append(state: SessionState, type: RecordType, payload: Buffer): RecordLocation {
    const loc = state.log.append(type, payload);
    if (loc.segment !== state.headerSegment) this.writeHeader(state);
    return loc;
  }

  /** Every segment carries the session's record and numbering, so a reopen needs to read only the newest one. */
  writeHeader(state: SessionState): void {
    const record = this.ctx.sessions.get(state.id);
    if (!record) return;
    const header: SegmentHeader = { record, lastSeq: state.seq, evictedThrough: state.evictedThrough };
    const loc = state.log.append(RecordType.Session, Buffer.from(JSON.stringify(header)));
    state.headerSegment = loc.segment;
  }

  /** Rows go to the worker in one message per tick, whatever the number of inserts. */
  schedulePost(): void {
    if (this.postScheduled) return;
    this.postScheduled = true;
    queueMicrotask(() => this.postRows());
  }

  postRows(): void {
    this.postScheduled = false;
    for (const state of this.ctx.states.values()) {
      if (state.rows.length === 0) continue;
      const rows = state.rows;
      state.rows = [];
      this.ctx.index.insert(rows, { [state.id]: state.log.end() });
    }
  }

  /** A Tombstone record, then the rows, cached entries, body files and annotations of `entryIds` go. */
  async deleteEntries(state: SessionState, entryIds: string[]): Promise<void> {
    this.postRows();
    this.append(state, RecordType.Tombstone, Buffer.from(JSON.stringify({ ids: entryIds })));
    const removed = await this.ctx.index.deleteEntries(state.id, entryIds);
    state.count = Math.max(0, state.count - removed.length);
    this.ctx.cache.forget(state.id, entryIds);
    await this.dropExternal(state, entryIds);
    this.ctx.annotations.forgetEntries(state.id, entryIds);
  }

  /** Removes the worker-written body files of entries that are gone. */
  async dropExternal(state: SessionState, ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const bytes = state.external.get(id);
      if (bytes === undefined) continue;
      state.external.delete(id);
      state.externalBytes = Math.max(0, state.externalBytes - bytes);
      for (const side of ['request', 'response'] as const) await fsp.rm(bodyFilePath(this.ctx.dataDir, state.id, id, side), { force: true });
    }
  }
}
