import type { KeyboardEvent, RefObject } from 'react';
import { useUiStore } from '../../stores/ui-store.js';
import { movedIndex, ROW_HEIGHT } from './table-model.js';
import type { SelectionMove } from './table-model.js';

interface TableKeysOptions {
  visible: string[];
  scroller: RefObject<HTMLDivElement | null>;
  scrollToIndex: (index: number) => void;
  stopFollowing: () => void;
}

/** The table's keyboard: arrows, pages, Home/End move the selection; Enter opens the detail, Esc closes it. */
export function useTableKeys({ visible, scroller, scrollToIndex, stopFollowing }: TableKeysOptions) {
  const selectedId = useUiStore((s) => s.selectedEntryId);
  const selectEntry = useUiStore((s) => s.selectEntry);

  const moveSelection = (move: SelectionMove) => {
    const next = movedIndex(visible.length, selectedId ? visible.indexOf(selectedId) : -1, move);
    const id = next === undefined ? undefined : visible[next];
    if (next === undefined || !id) return;
    selectEntry(id);
    stopFollowing();
    scrollToIndex(next);
  };

  return (e: KeyboardEvent) => {
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 300) / ROW_HEIGHT) - 1);
    switch (e.key) {
      case 'ArrowDown': moveSelection(1); break;
      case 'ArrowUp': moveSelection(-1); break;
      case 'PageDown': moveSelection(page); break;
      case 'PageUp': moveSelection(-page); break;
      case 'Home': moveSelection('home'); break;
      case 'End': moveSelection('end'); break;
      case 'Enter': if (selectedId) useUiStore.getState().setDetailOpen(true); break;
      case 'Escape': useUiStore.getState().setDetailOpen(false); break;
      default: return;
    }
    e.preventDefault();
  };
}
