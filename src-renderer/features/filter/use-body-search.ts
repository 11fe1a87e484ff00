/**
 * Bodies are not in the browser, so free text is also searched on the server (its full-text index): asked once
 * per change of the text or the session, 200 ms after typing stops, never on a timer. Rows that arrive later are
 * matched here by URL and headers; their bodies count once the text changes again.
 */
import { useEffect, useRef } from 'react';
import { useClient } from '../../api/client-context.js';
import { useUiStore } from '../../stores/ui-store.js';

export function useBodySearch(sessionId: string | null): void {
  const client = useClient();
  const text = useUiStore((s) => s.filter.text.join(' '));
  const lastAsked = useRef({ query: '', session: '' });

  useEffect(() => {
    const ui = useUiStore.getState();
    if (!sessionId || !text) {
      if (ui.bodyMatches) ui.setBodyMatches('', null);
      lastAsked.current = { query: '', session: '' };
      return;
    }
    if (lastAsked.current.query === text && lastAsked.current.session === sessionId) return;
    let stale = false;
    const timer = setTimeout(async () => {
      lastAsked.current = { query: text, session: sessionId };
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
    }, 200);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [client, sessionId, text]);
}
