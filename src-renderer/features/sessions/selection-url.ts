/**
 * The open session lives in the URL fragment (`#session=<id>`, beside a `#token=` that token.ts takes out),
 * so that a reload, or a link copied to another tab of the same server, opens the same session.
 * A fragment never reaches the server or its logs.
 */
import { useEffect, useState } from 'react';
import { useSessionsStore } from '../../stores/sessions-store.js';

const PARAM = 'session';

export function sessionFromHash(hash: string): string | null {
  const id = new URLSearchParams(hash.replace(/^#/, '')).get(PARAM);
  return id && id.trim() ? id.trim() : null;
}

/** The fragment with `session` set to `id` (or removed), every other parameter left as it was. */
export function hashWithSession(hash: string, id: string | null): string {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  if (id) params.set(PARAM, id);
  else params.delete(PARAM);
  const rest = params.toString();
  return rest ? `#${rest}` : '';
}

function writeSelection(id: string | null): void {
  const { pathname, search, hash } = window.location;
  const next = hashWithSession(hash, id);
  // replaceState: picking sessions must not fill the back button's history, and fires no hashchange.
  if (next !== hash) window.history.replaceState(window.history.state, '', pathname + search + next);
}

/**
 * Call once, before the first session list arrives: the store starts on the session the URL names (the list
 * then keeps it when it still exists), and the URL follows every later selection.
 */
export function useSelectionInUrl(): void {
  useState(() => {
    const wanted = sessionFromHash(window.location.hash);
    if (wanted) useSessionsStore.getState().select(wanted);
    return wanted;
  });
  useEffect(() => {
    const unsubscribe = useSessionsStore.subscribe((state, previous) => {
      if (state.loaded && (state.selectedId !== previous.selectedId || !previous.loaded)) writeSelection(state.selectedId);
    });
    const onHashChange = () => {
      const wanted = sessionFromHash(window.location.hash);
      const store = useSessionsStore.getState();
      if (wanted && wanted !== store.selectedId && store.sessions.some((s) => s.id === wanted)) store.select(wanted);
    };
    window.addEventListener('hashchange', onHashChange);
    return () => {
      unsubscribe();
      window.removeEventListener('hashchange', onHashChange);
    };
  }, []);
}
