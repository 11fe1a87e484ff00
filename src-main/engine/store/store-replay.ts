/**
 * Opening the history store's logs (segment-store.ts): every session directory is opened, its newest segment
 * header read (numbering, and the session itself when sessions.json lost it), and the records the index does not
 * cover yet (after its watermark for that session, or all of them on a rebuild) are fed to the index as a live
 * insert would have. The same replay re-indexes after a dead index worker was replaced.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { safeFileName, unsafeFileName } from './fs-util.js';
import { openIndex } from './index/index-client.js';
import type { IndexRow } from './index/index-types.js';
import { decodeBodyPayload } from './segments/record-codec.js';
import { RecordType, type LogRecord } from './segments/segment-types.js';
import type { SessionsFile } from './sessions-file.js';
import { indexRowOf, overlay, placementOf, type StoredEntry } from './stored-entry.js';
import { INDEX_DIR, SESSIONS_DIR, type SegmentHeader, type SessionState, type StoreContext } from './store-context.js';
import type { BodySide } from './store-types.js';

const INDEX_BATCH = 512;

type LogPosition = { segment: number; offset: number };

/** Opens the log of every session directory, and replays into the index what it does not hold yet. */
export async function openLogs(
  ctx: StoreContext,
  openState: (id: string) => Promise<SessionState>,
  sessionsFile: SessionsFile,
  opened: { watermarks: Record<string, LogPosition>; rebuild: boolean },
): Promise<void> {
  const root = path.join(ctx.dataDir, SESSIONS_DIR);
  for (const name of await fsp.readdir(root)) {
    const id = unsafeFileName(name);
    const state = await openState(id);
    const header = await lastHeader(state);
    if (!ctx.sessions.has(id)) {
      if (!header) {
        ctx.warn(`history store: ${path.join(root, name)} belongs to no session; removing it`);
        await state.log.close();
        await fsp.rm(state.dir, { recursive: true, force: true });
        ctx.states.delete(id);
        continue;
      }
      ctx.warn(`history store: session ${id} recovered from its log`);
      ctx.sessions.set(id, header.record);
      sessionsFile.markDirty();
    }
    await replay(ctx, state, opened.rebuild ? undefined : await dropPastLog(ctx, state, opened.watermarks[id]));
    const { total } = await ctx.index.list(id, 0, 0);
    state.count = total;
    state.seq = Math.max(state.seq, (total > 0 ? await ctx.index.nthSeq(id, total) : 0) ?? 0, state.evictedThrough);
    await loadExternal(ctx, state);
  }
  // A session whose log is gone has no entries, but the session itself is kept.
  for (const id of ctx.sessions.keys()) {
    if (!ctx.states.has(id)) await dropPastLog(ctx, await openState(id), undefined);
  }
  await sessionsFile.flush();
}

/**
 * A dead index worker is replaced: the new one opens the index file and the logs are replayed from its positions
 * (rows it already holds are skipped). Capture goes on meanwhile, into the logs; reads wait until the index is back.
 */
export async function restartIndex(ctx: StoreContext, onError: (error: Error) => void, postRows: () => void): Promise<void> {
  const { client, opened } = await openIndex({ dir: path.join(ctx.dataDir, INDEX_DIR), onError });
  ctx.index = client;
  for (const state of [...ctx.states.values()]) await replay(ctx, state, opened.rebuilt ? undefined : opened.watermarks[state.id]);
  postRows();
  for (const state of ctx.states.values()) state.count = (await ctx.index.list(state.id, 0, 0)).total + state.rows.length;
}

/**
 * The index commits rows before the log has written and fsync'd their records, so a kill -9 can leave rows (and a
 * watermark) past the log's end once its torn tail is cut (index/index-past-log.ts): they go before anything is
 * appended at the cut, and the replay starts at the watermark as brought back to that end.
 */
async function dropPastLog(ctx: StoreContext, state: SessionState, watermark: LogPosition | undefined): Promise<LogPosition | undefined> {
  const { ids, watermark: moved } = await ctx.index.dropPastLog(state.id, { segments: state.log.segments(), end: state.log.end() });
  if (ids.length > 0) {
    ctx.warn(`history store: ${ids.length} index row${ids.length === 1 ? '' : 's'} of session ${state.id} named records its log lost in a crash; removed`);
    ctx.annotations.forgetEntries(state.id, ids);
  }
  return moved ?? watermark;
}

/** The newest segment's header (and the highest seq in that segment), for numbering and recovery. */
async function lastHeader(state: SessionState): Promise<SegmentHeader | undefined> {
  let header: SegmentHeader | undefined;
  for await (const record of state.log.scan({ segment: state.log.activeSegment, offset: 0 })) {
    if (record.type === RecordType.Session) header = JSON.parse(record.payload.toString('utf8')) as SegmentHeader;
    else if (record.type === RecordType.Entry) state.seq = Math.max(state.seq, (JSON.parse(record.payload.toString('utf8')) as StoredEntry).seq);
    else if (record.type === RecordType.Evicted) state.evictedThrough = Math.max(state.evictedThrough, (JSON.parse(record.payload.toString('utf8')) as { throughSeq: number }).throughSeq);
  }
  if (header) {
    state.seq = Math.max(state.seq, header.lastSeq);
    state.evictedThrough = Math.max(state.evictedThrough, header.evictedThrough);
  }
  return header;
}

/** Feeds every log record after `from` to the index, as a live insert would have. */
async function replay(ctx: StoreContext, state: SessionState, from: LogPosition | undefined): Promise<void> {
  const bodies = new Map<string, Buffer>();
  let rows: IndexRow[] = [];
  let replayed = 0;
  const post = (through: LogPosition) => {
    if (rows.length > 0) ctx.index.insert(rows, { [state.id]: through });
    rows = [];
  };
  let last: LogPosition | undefined;
  for await (const record of state.log.scan(from)) {
    // A deletion applies to the rows before it: they must reach the worker first.
    if (last && (record.type === RecordType.Tombstone || record.type === RecordType.Evicted)) post(last);
    last = { segment: record.loc.segment, offset: record.loc.offset + record.loc.length };
    const row = replayRecord(ctx, state, record, bodies);
    if (row) {
      rows.push(row);
      replayed++;
      if (rows.length >= INDEX_BATCH) post(last);
    }
  }
  if (last) post(last);
  if (replayed > 0 && from) ctx.warn(`history store: indexed ${replayed} entr${replayed === 1 ? 'y' : 'ies'} of session ${state.id} the last run had not indexed`);
}

/** Bodies come before their entry record: they wait in `bodies` until it comes. */
function replayRecord(ctx: StoreContext, state: SessionState, record: LogRecord, bodies: Map<string, Buffer>): IndexRow | undefined {
  const json = () => JSON.parse(record.payload.toString('utf8')) as unknown;
  switch (record.type) {
    case RecordType.Body: {
      const body = decodeBodyPayload(record.payload);
      bodies.set(`${body.side}\u0000${body.entryId}`, body.bytes);
      return undefined;
    }
    case RecordType.Entry: {
      const stored = json() as StoredEntry;
      const take = (side: BodySide) => {
        const key = `${side}\u0000${stored.entry.id}`;
        const bytes = bodies.get(key);
        bodies.delete(key);
        return bytes;
      };
      const request = take('request');
      const response = take('response');
      if (stored.seq <= state.evictedThrough) return undefined;
      const patch = ctx.annotations.get(state.id, stored.entry.id);
      return indexRowOf({ ...stored, entry: overlay(stored.entry, patch) }, placementOf(stored, record.loc), { ...(request ? { request } : {}), ...(response ? { response } : {}) });
    }
    case RecordType.Tombstone:
      void ctx.index.deleteEntries(state.id, (json() as { ids: string[] }).ids);
      return undefined;
    case RecordType.Evicted: {
      const { throughSeq } = json() as { throughSeq: number };
      state.evictedThrough = Math.max(state.evictedThrough, throughSeq);
      void ctx.index.evictThrough(state.id, throughSeq);
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Counts the body files proxy workers wrote for this session (they are outside the log, but in the byte budget). */
async function loadExternal(ctx: StoreContext, state: SessionState): Promise<void> {
  const dir = path.join(ctx.dataDir, 'bodies', safeFileName(state.id));
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const match = /^(.+)\.(request|response)$/.exec(name);
    const stat = match ? await fsp.stat(path.join(dir, name)).catch(() => undefined) : undefined;
    if (!match || !stat?.isFile()) continue;
    const entryId = unsafeFileName(match[1]!);
    state.external.set(entryId, (state.external.get(entryId) ?? 0) + stat.size);
    state.externalBytes += stat.size;
  }
}
