/**
 * Data loading the React 19 way: the effect starts the load and sets state only in the promise's callbacks; what
 * the component sees (idle, loading, the answer) is derived during render, so new inputs need no reset in the
 * effect body. A newer load aborts the older one (its signal), and an older answer is never shown.
 */
import { useEffect, useState } from 'react';
import { loadedView, settle } from './load-state.js';
import type { Answer, Loaded, Settled } from './load-state.js';

export type LoadFn<T> = (signal: AbortSignal) => Promise<T>;

/**
 * Runs `load` whenever it is a new function (memoize it on its inputs; null = nothing to load) or `reloadKey`
 * changes (for changes that must load again though the inputs did not: a session restarted).
 */
export function useLoad<T>(load: LoadFn<T> | null, reloadKey: string | number = ''): Loaded<T> {
  const [settled, setSettled] = useState<Settled<T> | null>(null);
  useEffect(() => {
    if (!load) return;
    const controller = new AbortController();
    const done = (answer: Answer<T>) => {
      if (!controller.signal.aborted) setSettled((previous) => settle(previous, load, reloadKey, answer));
    };
    load(controller.signal).then(
      (value) => done({ ok: true, value }),
      (error: unknown) => done({ ok: false, error }),
    );
    return () => controller.abort();
  }, [load, reloadKey]);
  return loadedView(settled, load, reloadKey);
}
