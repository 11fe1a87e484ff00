import { useCallback, useLayoutEffect, useRef } from 'react';
import type { SortState } from '../../stores/ui-store.js';
import { ROW_HEIGHT } from './table-model.js';

/**
 * Keeps what the user looks at still while rows arrive or are evicted: either follow the tail (scrolled to the
 * bottom, arrival order) or pin the first visible row to its pixel offset.
 */
export function useScrollAnchor(visible: string[], sort: SortState | null) {
  const scroller = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  const anchor = useRef<{ id: string; offset: number } | null>(null);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    // Following the tail only makes sense in arrival order, where the newest rows are at the bottom.
    if (follow.current && !sort) {
      // Computed, not read back from scrollHeight: reading it would force a layout inside this effect.
      const bottom = Math.max(0, visible.length * ROW_HEIGHT - el.clientHeight);
      if (el.scrollTop !== bottom) el.scrollTop = bottom;
      return;
    }
    const a = anchor.current;
    if (!a) return;
    const index = visible.indexOf(a.id);
    if (index === -1) return;
    const wanted = index * ROW_HEIGHT + a.offset;
    if (Math.abs(el.scrollTop - wanted) >= 1) el.scrollTop = wanted;
  }, [visible, sort]);

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT;
    const first = Math.floor(el.scrollTop / ROW_HEIGHT);
    const id = visible[first];
    anchor.current = id ? { id, offset: el.scrollTop - first * ROW_HEIGHT } : null;
  }, [visible]);

  /** A keyboard move scrolls to its row itself: stop following the tail. */
  const stopFollowing = useCallback(() => {
    follow.current = false;
  }, []);

  return { scroller, onScroll, stopFollowing };
}
