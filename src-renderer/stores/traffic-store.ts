/**
 * Rows of the open session. `ids` is replaced (never mutated) once per batch so React sees one change per
 * frame; `byId` is a Map mutated in place, read through `ids`/`version`. No Immer: at 1000 rows/s its
 * copy-on-write costs more than the whole render.
 */
import { create } from 'zustand';
import { EVICT_ENTRY_ID } from '../../src-shared/model.js';
import type { Entry, PendingEntry, StreamMessage } from '../../src-shared/model.js';
import { pendingRow, toEntryRow } from '../features/entries/entry-row.js';
import type { EntryRow } from '../features/entries/entry-row.js';

export type StreamStatus = 'idle' | 'connecting' | 'open' | 'closed';

/** What the last batch did, so the visible-rows view can update incrementally instead of refiltering 100k rows. */
export interface TrafficChange {
  prevIds: string[];
  added: string[];
  removed: string[];
  updated: string[];
  /** Every removed id was at the head of `prevIds` (FIFO eviction): views in arrival order can just slice. */
  removedAtHead: boolean;
}

export interface TrafficState {
  sessionId: string | null;
  ids: string[];
  byId: Map<string, EntryRow>;
  version: number;
  lastChange: TrafficChange | null;
  tagsInUse: string[];
  loading: boolean;
  loadError: string | null;
  streamStatus: StreamStatus;
  streamDetail: string;
  reset: (sessionId: string | null) => void;
  /** Pages of the history (oldest first) and live stream messages both end up here. */
  addEntries: (entries: Entry[]) => void;
  applyMessages: (messages: StreamMessage[]) => void;
  setLoading: (loading: boolean, error?: string | null) => void;
  setStreamStatus: (status: StreamStatus, detail?: string) => void;
}

let seq = 0;
let tagCounts = new Map<string, number>();

function countTags(tags: string[], delta: 1 | -1): boolean {
  let changed = false;
  for (const tag of tags) {
    const next = (tagCounts.get(tag) ?? 0) + delta;
    if (next <= 0) {
      tagCounts.delete(tag);
      changed = true;
    } else {
      if (!tagCounts.has(tag)) changed = true;
      tagCounts.set(tag, next);
    }
  }
  return changed;
}

function sortedTags(): string[] {
  return [...tagCounts.keys()].sort((a, b) => a.localeCompare(b));
}

/** What one batch did to the rows. */
interface RowChanges {
  added: string[];
  removed: Set<string>;
  updated: string[];
  tagsChanged: boolean;
}

/** Applies a batch to `byId` in place (it is read through `ids`/`version`) and says what changed. */
function applyToRows(byId: Map<string, EntryRow>, sessionId: string | null, messages: StreamMessage[]): RowChanges {
  const changes: RowChanges = { added: [], removed: new Set(), updated: [], tagsChanged: false };
  for (const message of messages) {
    // Evictions arrive as `__evict__` entries too; the summary goes to the storage notice (use-traffic-stream).
    if (message.type === 'session' || message.type === 'evicted') continue;
    if (message.type === 'pending') applyPending(byId, sessionId, message.entry, changes);
    else if (message.entry.id === EVICT_ENTRY_ID) applyEviction(byId, message.entry.notes, changes);
    else applyEntry(byId, sessionId, message.entry as Entry, changes);
  }
  return changes;
}

function applyPending(byId: Map<string, EntryRow>, sessionId: string | null, pending: PendingEntry, changes: RowChanges): void {
  // The entry may already be here (a history page overlapping the stream): never downgrade it.
  if (byId.has(pending.id) || (sessionId && pending.sessionId !== sessionId)) return;
  byId.set(pending.id, pendingRow(pending, seq++));
  changes.added.push(pending.id);
}

function applyEviction(byId: Map<string, EntryRow>, victimId: string, changes: RowChanges): void {
  const victim = byId.get(victimId);
  if (!victim) return;
  changes.tagsChanged = countTags(victim.tags, -1) || changes.tagsChanged;
  byId.delete(victimId);
  changes.removed.add(victimId);
}

function applyEntry(byId: Map<string, EntryRow>, sessionId: string | null, full: Entry, changes: RowChanges): void {
  if (sessionId && full.sessionId && full.sessionId !== sessionId) return;
  const existing = byId.get(full.id);
  if (existing) {
    // Same id again: a patch, or a page that overlaps the live stream. Keep arrival order.
    const row = toEntryRow(full, existing.seq);
    changes.tagsChanged = countTags(existing.tags, -1) || changes.tagsChanged;
    changes.tagsChanged = countTags(row.tags, 1) || changes.tagsChanged;
    byId.set(full.id, row);
    changes.updated.push(full.id);
  } else {
    const row = toEntryRow(full, seq++);
    changes.tagsChanged = countTags(row.tags, 1) || changes.tagsChanged;
    byId.set(full.id, row);
    changes.added.push(full.id);
  }
}

/** The ids after a batch: the removed left out, the kept additions appended in arrival order. */
function nextIds(prevIds: string[], added: string[], addedKept: string[], removed: Set<string>): { ids: string[]; removedAtHead: boolean } {
  let removedAtHead = true;
  let head = 0;
  if (removed.size > 0) {
    // Evictions are FIFO, so the victims lead the array: skip them instead of 100k Set lookups.
    while (head < prevIds.length && removed.has(prevIds[head] as string)) head++;
    const inPrev = added.length === 0 ? removed.size : [...removed].filter((id) => !added.includes(id)).length;
    removedAtHead = head === inPrev;
  }
  if (!removedAtHead) return { ids: prevIds.filter((id) => !removed.has(id)).concat(addedKept), removedAtHead };
  // One allocation per batch: at 100k ids a slice plus a concat would churn the heap twice per frame.
  const kept = prevIds.length - head;
  const ids = new Array<string>(kept + addedKept.length);
  for (let i = 0; i < kept; i++) ids[i] = prevIds[head + i] as string;
  for (let i = 0; i < addedKept.length; i++) ids[kept + i] = addedKept[i] as string;
  return { ids, removedAtHead };
}

export const useTrafficStore = create<TrafficState>()((set, get) => ({
  sessionId: null,
  ids: [],
  byId: new Map(),
  version: 0,
  lastChange: null,
  tagsInUse: [],
  loading: false,
  loadError: null,
  streamStatus: 'idle',
  streamDetail: '',

  reset(sessionId) {
    tagCounts = new Map();
    set({ sessionId, ids: [], byId: new Map(), version: get().version + 1, lastChange: null, tagsInUse: [], loadError: null });
  },

  addEntries(entries) {
    if (entries.length === 0) return;
    get().applyMessages(entries.map((entry) => ({ type: 'entry', entry })));
  },

  applyMessages(messages) {
    const state = get();
    const rows = applyToRows(state.byId, state.sessionId, messages);
    // An entry can arrive and be evicted within one batch: it never reaches the table.
    const addedKept = rows.removed.size > 0 ? rows.added.filter((id) => !rows.removed.has(id)) : rows.added;
    if (addedKept.length === 0 && rows.removed.size === 0 && rows.updated.length === 0) return;
    const prevIds = state.ids;
    const { ids, removedAtHead } = nextIds(prevIds, rows.added, addedKept, rows.removed);
    set({
      ids,
      version: state.version + 1,
      lastChange: { prevIds, added: addedKept, removed: [...rows.removed], updated: rows.updated, removedAtHead },
      ...(rows.tagsChanged ? { tagsInUse: sortedTags() } : {}),
    });
  },

  setLoading(loading, error = null) {
    set({ loading, loadError: error });
  },

  setStreamStatus(streamStatus, detail = '') {
    set({ streamStatus, streamDetail: detail });
  },
}));
