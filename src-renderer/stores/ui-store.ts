import { create } from 'zustand';
import { parseFilter } from '../features/filter/filter-expression.js';
import type { ParsedFilter } from '../features/filter/filter-expression.js';

export type SortColumn = 'time' | 'method' | 'host' | 'path' | 'status' | 'type' | 'duration' | 'size' | 'tags';
export interface SortState {
  column: SortColumn;
  desc: boolean;
}

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

export interface UiState {
  filterText: string;
  filter: ParsedFilter;
  /** Server body-search result for `bodyMatchQuery`; null while none applies. */
  bodyMatches: ReadonlySet<string> | null;
  bodyMatchQuery: string;
  sort: SortState | null;
  selectedEntryId: string | null;
  detailOpen: boolean;
  detailWidth: number;
  newSessionOpen: boolean;
  settingsOpen: boolean;
  toasts: Toast[];
  setFilterText: (text: string) => void;
  setBodyMatches: (query: string, ids: ReadonlySet<string> | null) => void;
  setSort: (sort: SortState | null) => void;
  selectEntry: (id: string | null, open?: boolean) => void;
  setDetailOpen: (open: boolean) => void;
  setDetailWidth: (width: number) => void;
  setNewSessionOpen: (open: boolean) => void;
  setSettingsOpen: (open: boolean) => void;
  toast: (kind: Toast['kind'], text: string) => void;
  dismissToast: (id: number) => void;
}

let toastSeq = 0;

export const useUiStore = create<UiState>()((set, get) => ({
  filterText: '',
  filter: parseFilter(''),
  bodyMatches: null,
  bodyMatchQuery: '',
  sort: null,
  selectedEntryId: null,
  detailOpen: false,
  detailWidth: 540,
  newSessionOpen: false,
  settingsOpen: false,
  toasts: [],
  setFilterText(filterText) {
    set({ filterText, filter: parseFilter(filterText) });
  },
  setBodyMatches(bodyMatchQuery, bodyMatches) {
    set({ bodyMatchQuery, bodyMatches });
  },
  setSort(sort) {
    set({ sort });
  },
  selectEntry(selectedEntryId, open) {
    set(open === undefined ? { selectedEntryId } : { selectedEntryId, detailOpen: open });
  },
  setDetailOpen(detailOpen) {
    set({ detailOpen });
  },
  setDetailWidth(detailWidth) {
    set({ detailWidth: Math.max(320, Math.min(detailWidth, 1400)) });
  },
  setNewSessionOpen(newSessionOpen) {
    set({ newSessionOpen });
  },
  setSettingsOpen(settingsOpen) {
    set({ settingsOpen });
  },
  toast(kind, text) {
    const id = ++toastSeq;
    set({ toasts: [...get().toasts.slice(-3), { id, kind, text }] });
    if (kind === 'info') setTimeout(() => get().dismissToast(id), 4000);
  },
  dismissToast(id) {
    set({ toasts: get().toasts.filter((t) => t.id !== id) });
  },
}));
