import { useMemo, useRef } from 'react';
import { useTrafficStore } from '../../stores/traffic-store.js';
import { useUiStore } from '../../stores/ui-store.js';
import { compileFilter } from '../filter/row-predicate.js';
import { computeVisible } from './visible-rows.js';
import type { VisibleView } from './visible-rows.js';

/** The ids the table shows; incremental across stream batches (see visible-rows.ts). */
export function useVisibleRows(): string[] {
  const ids = useTrafficStore((s) => s.ids);
  const byId = useTrafficStore((s) => s.byId);
  const lastChange = useTrafficStore((s) => s.lastChange);
  const filter = useUiStore((s) => s.filter);
  const sort = useUiStore((s) => s.sort);
  const bodyMatches = useUiStore((s) => s.bodyMatches);
  const bodyMatchQuery = useUiStore((s) => s.bodyMatchQuery);
  const textKey = filter.text.join(' ');
  const matches = bodyMatchQuery === textKey ? bodyMatches : null;
  const predicate = useMemo(() => compileFilter(filter, { bodyMatches: matches }), [filter, matches]);
  const cache = useRef<VisibleView | null>(null);
  cache.current = computeVisible(cache.current, { ids, byId, lastChange, predicate, sort });
  return cache.current.visible;
}
