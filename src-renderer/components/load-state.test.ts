import { describe, expect, it } from 'vitest';
import { delay, loadedView, settle } from './load-state.js';

describe('loadedView', () => {
  const a = () => Promise.resolve(1);
  const b = () => Promise.resolve(2);

  it('is idle without a load and loading until an answer for these very inputs arrives', () => {
    expect(loadedView(null, null, '')).toEqual({ status: 'idle', last: undefined });
    expect(loadedView(null, a, '')).toEqual({ status: 'loading', last: undefined });
    const answered = settle(null, a, '', { ok: true, value: 1 });
    expect(loadedView(answered, a, '')).toEqual({ status: 'done', value: 1, last: 1 });
    // A reload of the same inputs keeps the value to show meanwhile; new inputs (another function) do not.
    expect(loadedView(answered, a, 'restarted')).toEqual({ status: 'loading', last: 1 });
    expect(loadedView(answered, b, '')).toEqual({ status: 'loading', last: undefined });
    expect(loadedView(answered, null, '')).toEqual({ status: 'idle', last: undefined });
  });

  it('reports a failed reload and keeps the good value of the same inputs, not of others', () => {
    const good = settle(null, a, '', { ok: true, value: 1 });
    const failed = settle(good, a, 'restarted', { ok: false, error: new Error('gone') });
    const view = loadedView(failed, a, 'restarted');
    expect(view.status).toBe('failed');
    expect(view.status === 'failed' && (view.error as Error).message).toBe('gone');
    expect(view.last).toBe(1);
    expect(loadedView(settle(good, b, '', { ok: false, error: 'x' }), b, '').last).toBeUndefined();
  });
});

describe('delay', () => {
  it('resolves when not aborted', async () => {
    await expect(delay(1, new AbortController().signal)).resolves.toBeUndefined();
  });

  it('rejects when aborted before or while waiting, and never resolves afterwards', async () => {
    const before = new AbortController();
    before.abort();
    await expect(delay(1, before.signal)).rejects.toBeInstanceOf(Error);
    const during = new AbortController();
    const waiting = delay(60_000, during.signal);
    during.abort();
    await expect(waiting).rejects.toBeInstanceOf(Error);
  });
});
