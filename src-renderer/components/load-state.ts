/**
 * The pure part of `useLoad`: what a component sees of a load is derived during render from the last settled
 * answer and the inputs it was for, so nothing has to be reset (set) in an effect when the inputs change.
 */

export type Answer<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** The last answer, tagged with the load function and reload key it answers. */
export interface Settled<T> {
  load: unknown;
  reloadKey: unknown;
  answer: Answer<T>;
  /** The newest value loaded for this same load function: a reload (new reloadKey) need not blank what is shown. */
  last: T | undefined;
}

export type Loaded<T> =
  | { status: 'idle'; last: T | undefined }
  | { status: 'loading'; last: T | undefined }
  | { status: 'done'; value: T; last: T | undefined }
  | { status: 'failed'; error: unknown; last: T | undefined };

export function settle<T>(previous: Settled<T> | null, load: unknown, reloadKey: unknown, answer: Answer<T>): Settled<T> {
  const kept = previous && previous.load === load ? previous.last : undefined;
  return { load, reloadKey, answer, last: answer.ok ? answer.value : kept };
}

/** No load: idle. An answer for other inputs (or none yet): loading. Else the answer. */
export function loadedView<T>(settled: Settled<T> | null, load: unknown, reloadKey: unknown): Loaded<T> {
  const last = settled && settled.load === load ? settled.last : undefined;
  if (load === null) return { status: 'idle', last: undefined };
  if (!settled || settled.load !== load || settled.reloadKey !== reloadKey) return { status: 'loading', last };
  return settled.answer.ok ? { status: 'done', value: settled.answer.value, last } : { status: 'failed', error: settled.answer.error, last };
}

/** Waits `ms`, or rejects at once when `signal` aborts: a debounce that a newer input cancels. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
