/**
 * Which ids the table shows, in which order. Recomputed from scratch only when the filter or sort changes;
 * a streaming batch only filters its own new rows and inserts them, so 1000 rows/s on top of 100k rows
 * costs per-batch work proportional to the batch, plus one array copy.
 */
import type { TrafficChange } from '../../stores/traffic-store.js';
import type { SortState } from '../../stores/ui-store.js';
import type { RowPredicate } from '../filter/row-predicate.js';
import type { EntryRow } from './entry-row.js';

export interface VisibleInput {
  ids: string[];
  /** The new filter only narrows the previous one (a text term got longer): filter the previous result. */
  narrowing?: boolean;
  byId: ReadonlyMap<string, EntryRow>;
  lastChange: TrafficChange | null;
  predicate: RowPredicate | null;
  sort: SortState | null;
}

export interface VisibleView {
  ids: string[];
  predicate: RowPredicate | null;
  sort: SortState | null;
  visible: string[];
}

type Comparator = (a: EntryRow, b: EntryRow) => number;

const str = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const BY_COLUMN: Record<SortState['column'], Comparator> = {
  time: (a, b) => a.startedAt - b.startedAt,
  method: (a, b) => str(a.method, b.method),
  host: (a, b) => str(a.host, b.host),
  path: (a, b) => str(a.path, b.path),
  status: (a, b) => a.status - b.status,
  type: (a, b) => str(a.typeLabel, b.typeLabel),
  duration: (a, b) => a.durationMs - b.durationMs,
  size: (a, b) => a.size - b.size,
  tags: (a, b) => str(a.tags.join(','), b.tags.join(',')),
};

export function comparatorFor(sort: SortState): Comparator {
  const by = BY_COLUMN[sort.column];
  const sign = sort.desc ? -1 : 1;
  // Arrival order breaks ties, so equal keys keep a stable, predictable order.
  return (a, b) => sign * (by(a, b) || a.seq - b.seq);
}

function fullCompute(input: VisibleInput, from: string[]): string[] {
  const { byId, predicate, sort } = input;
  let visible = from;
  if (predicate) {
    visible = [];
    for (const id of from) {
      const row = byId.get(id);
      if (row && predicate(row)) visible.push(id);
    }
  }
  if (sort) {
    const cmp = comparatorFor(sort);
    const rows: EntryRow[] = [];
    for (const id of visible) {
      const row = byId.get(id);
      if (row) rows.push(row);
    }
    rows.sort(cmp);
    visible = rows.map((r) => r.id);
  }
  return visible;
}

function insertSorted(visible: string[], added: EntryRow[], byId: ReadonlyMap<string, EntryRow>, cmp: Comparator): void {
  for (const row of added) {
    let lo = 0;
    let hi = visible.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = byId.get(visible[mid] as string);
      if (other && cmp(other, row) <= 0) lo = mid + 1;
      else hi = mid;
    }
    visible.splice(lo, 0, row.id);
  }
}

export function computeVisible(prev: VisibleView | null, input: VisibleInput): VisibleView {
  const { ids, byId, lastChange, predicate, sort } = input;
  const base = { ids, predicate, sort };
  if (prev && prev.ids === ids && prev.predicate === predicate && prev.sort === sort) return prev;
  // Nothing filters or sorts: the view is the store's array itself, no copy.
  if (!predicate && !sort) return { ...base, visible: ids };
  if (prev && input.narrowing && prev.ids === ids && prev.sort === sort) return { ...base, visible: fullCompute(input, prev.visible) };
  const incremental =
    prev !== null &&
    prev.predicate === predicate &&
    prev.sort === sort &&
    lastChange !== null &&
    lastChange.prevIds === prev.ids &&
    // An annotation can change whether a row matches (tag:bug): rare, so refilter everything then.
    (lastChange.updated.length === 0 || predicate === null);
  if (!incremental || !prev || !lastChange) return { ...base, visible: fullCompute(input, ids) };

  let visible = prev.visible;
  if (lastChange.removed.length > 0) {
    if (lastChange.removedAtHead && !sort) {
      // Arrival order: the evicted rows that were visible lead this list too (they are gone from byId).
      let head = 0;
      while (head < visible.length && !byId.has(visible[head] as string)) head++;
      if (head > 0) visible = visible.slice(head);
    } else {
      const removed = new Set(lastChange.removed);
      visible = visible.filter((id) => !removed.has(id));
    }
  }
  const added: EntryRow[] = [];
  for (const id of lastChange.added) {
    const row = byId.get(id);
    if (row && (!predicate || predicate(row))) added.push(row);
  }
  if (added.length > 0) {
    if (sort) {
      visible = visible === prev.visible ? visible.slice() : visible;
      insertSorted(visible, added, byId, comparatorFor(sort));
    } else {
      visible = visible.concat(added.map((r) => r.id));
    }
  } else if (visible === prev.visible && lastChange.updated.length > 0) {
    // Same ids but a row's content changed: a new array so the table re-renders the cells.
    visible = visible.slice();
  }
  return { ...base, visible };
}
