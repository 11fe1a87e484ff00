/**
 * Bodies are not in the browser, so free text is also searched on the server. Re-asked (throttled) while
 * live rows arrive so new matches by body show up too.
 */
import { useEffect, useRef } from 'react';
import { useClient } from '../../api/client-context.js';
import { useTrafficStore } from '../../stores/traffic-store.js';
import { useUiStore } from '../../stores/ui-store.js';

export function useBodySearch(sessionId: string | null): void {
  const client = useClient();
  const text = useUiStore((s) => s.filter.text.join(' '));
  const version = useTrafficStore((s) => s.version);
  const lastAsked = useRef({ query: '', at: 0, session: '' });

  useEffect(() => {
    const ui = useUiStore.getState();
    if (!sessionId || !text) {
      if (ui.bodyMatches) ui.setBodyMatches('', null);
      lastAsked.current = { query: '', at: 0, session: '' };
      return;
    }
    const changed = lastAsked.current.query !== text || lastAsked.current.session !== sessionId;
    const delay = changed ? 200 : Math.max(0, 2000 - (Date.now() - lastAsked.current.at));
    let stale = false;
    const timer = setTimeout(async () => {
      lastAsked.current = { query: text, at: Date.now(), session: sessionId };
      try {
        const { ids } = await client.searchEntries({ id: sessionId, q: text });
        if (stale) return;
        // No body match changes nothing: keep the predicate (and the 100k-row view) as it is.
        const current = useUiStore.getState();
        if (ids.length === 0 && (current.bodyMatches === null || current.bodyMatches.size === 0) && current.bodyMatchQuery === text) return;
        useUiStore.getState().setBodyMatches(text, ids.length === 0 ? null : new Set(ids));
      } catch {
        // Body search is a bonus over the URL/header match; without it the filter still works.
        if (!stale) useUiStore.getState().setBodyMatches(text, null);
      }
    }, delay);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [client, sessionId, text, version]);
}
