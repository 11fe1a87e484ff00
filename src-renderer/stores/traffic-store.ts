/**
 * Rows of the open session. `ids` is replaced (never mutated) once per batch so React sees one change per
 * frame; `byId` is a Map mutated in place, read through `ids`/`version`. No Immer: at 1000 rows/s its
 * copy-on-write costs more than the whole render.
 */
import { create } from 'zustand';
import { EVICT_ENTRY_ID } from '../../src-shared/model.js';
import type { Entry, StreamMessage } from '../../src-shared/model.js';
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
    const byId = state.byId;
    const added: string[] = [];
    const removed = new Set<string>();
    const updated: string[] = [];
    let tagsChanged = false;
    for (const message of messages) {
      // Evictions arrive as `__evict__` entries too; the summary goes to the storage notice (use-traffic-stream).
      if (message.type === 'session' || message.type === 'evicted') continue;
      if (message.type === 'pending') {
        // The entry may already be here (a history page overlapping the stream): never downgrade it.
        const pending = message.entry;
        if (byId.has(pending.id) || (state.sessionId && pending.sessionId !== state.sessionId)) continue;
        byId.set(pending.id, pendingRow(pending, seq++));
        added.push(pending.id);
        continue;
      }
      const entry = message.entry;
      if (entry.id === EVICT_ENTRY_ID) {
        const victim = byId.get(entry.notes);
        if (victim) {
          tagsChanged = countTags(victim.tags, -1) || tagsChanged;
          byId.delete(entry.notes);
          removed.add(entry.notes);
        }
        continue;
      }
      const full = entry as Entry;
      if (state.sessionId && full.sessionId && full.sessionId !== state.sessionId) continue;
      const existing = byId.get(full.id);
      if (existing) {
        // Same id again: a patch, or a page that overlaps the live stream. Keep arrival order.
        const row = toEntryRow(full, existing.seq);
        tagsChanged = countTags(existing.tags, -1) || tagsChanged;
        tagsChanged = countTags(row.tags, 1) || tagsChanged;
        byId.set(full.id, row);
        updated.push(full.id);
      } else {
        const row = toEntryRow(full, seq++);
        tagsChanged = countTags(row.tags, 1) || tagsChanged;
        byId.set(full.id, row);
        added.push(full.id);
      }
    }
    // An entry can arrive and be evicted within one batch: it never reaches the table.
    const addedKept = removed.size > 0 ? added.filter((id) => !removed.has(id)) : added;
    if (addedKept.length === 0 && removed.size === 0 && updated.length === 0) return;
    const prevIds = state.ids;
    let removedAtHead = true;
    let head = 0;
    if (removed.size > 0) {
      // Evictions are FIFO, so the victims lead the array: skip them instead of 100k Set lookups.
      while (head < prevIds.length && removed.has(prevIds[head] as string)) head++;
      const inPrev = added.length === 0 ? removed.size : [...removed].filter((id) => !added.includes(id)).length;
      removedAtHead = head === inPrev;
    }
    let ids: string[];
    if (!removedAtHead) {
      ids = prevIds.filter((id) => !removed.has(id)).concat(addedKept);
    } else {
      // One allocation per batch: at 100k ids a slice plus a concat would churn the heap twice per frame.
      const kept = prevIds.length - head;
      ids = new Array<string>(kept + addedKept.length);
      for (let i = 0; i < kept; i++) ids[i] = prevIds[head + i] as string;
      for (let i = 0; i < addedKept.length; i++) ids[kept + i] = addedKept[i] as string;
    }
    set({
      ids,
      version: state.version + 1,
      lastChange: { prevIds, added: addedKept, removed: [...removed], updated, removedAtHead },
      ...(tagsChanged ? { tagsInUse: sortedTags() } : {}),
    });
  },

  setLoading(loading, error = null) {
    set({ loading, loadError: error });
  },

  setStreamStatus(streamStatus, detail = '') {
    set({ streamStatus, streamDetail: detail });
  },
}));
