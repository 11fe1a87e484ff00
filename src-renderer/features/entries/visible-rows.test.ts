import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../src-shared/model.js';
import { useTrafficStore } from '../../stores/traffic-store.js';
import { parseFilter } from '../filter/filter-expression.js';
import { compileFilter } from '../filter/row-predicate.js';
import { computeVisible } from './visible-rows.js';
import type { VisibleView } from './visible-rows.js';

function entry(id: string, status: number, method = 'GET', durationMs = 5): Entry {
  return {
    id, sessionId: 's1', entryType: 'http', startedAt: new Date(1_700_000_000_000 + Number(id.slice(1)) * 1000).toISOString(),
    request: { method, url: `http://h.test/${id}`, httpVersion: '1.1', headers: [['host', 'h.test']], body: { size: 0, capturedSize: 0, truncated: false } },
    response: { statusCode: status, statusMessage: '', httpVersion: '1.1', headers: [], body: { size: 10, capturedSize: 10, truncated: false } },
    durationMs, timings: { dnsMs: -1, connectMs: 1, tlsMs: -1, sendMs: 0, waitMs: 2, recvMs: 1, totalMs: 4 }, tags: [], notes: '', mapLocal: false,
  };
}

function view(prev: VisibleView | null, expr: string, sort: VisibleView['sort'] = null, predicateCache?: { p: ReturnType<typeof compileFilter> }) {
  const s = useTrafficStore.getState();
  const predicate = predicateCache ? predicateCache.p : compileFilter(parseFilter(expr));
  return computeVisible(prev, { ids: s.ids, byId: s.byId, lastChange: s.lastChange, predicate, sort });
}

describe('traffic store + visible rows', () => {
  it('appends live rows, evicts, and keeps the filter applied incrementally', () => {
    const store = useTrafficStore.getState();
    store.reset('s1');
    store.addEntries([entry('e1', 200), entry('e2', 404), entry('e3', 500)]);
    const cache = { p: compileFilter(parseFilter('status>=400')) };
    let v = view(null, '', null, cache);
    expect(v.visible).toEqual(['e2', 'e3']);

    useTrafficStore.getState().applyMessages([
      { type: 'entry', entry: entry('e4', 503) },
      { type: 'entry', entry: entry('e5', 201) },
      { type: 'entry', entry: { id: '__evict__', notes: 'e2' } },
    ]);
    const before = v;
    v = view(v, '', null, cache);
    expect(v).not.toBe(before);
    expect(v.visible).toEqual(['e3', 'e4']);
    expect(useTrafficStore.getState().ids).toEqual(['e1', 'e3', 'e4', 'e5']);
  });

  it('slices FIFO evictions off the head of both the ids and the filtered view', () => {
    const store = useTrafficStore.getState();
    store.reset('s1');
    store.addEntries([entry('e1', 500), entry('e2', 200), entry('e3', 500), entry('e4', 500)]);
    const cache = { p: compileFilter(parseFilter('status:5xx')) };
    let v = view(null, '', null, cache);
    expect(v.visible).toEqual(['e1', 'e3', 'e4']);
    useTrafficStore.getState().applyMessages([
      { type: 'entry', entry: { id: '__evict__', notes: 'e1' } },
      { type: 'entry', entry: { id: '__evict__', notes: 'e2' } },
      { type: 'entry', entry: entry('e5', 503) },
    ]);
    expect(useTrafficStore.getState().lastChange?.removedAtHead).toBe(true);
    expect(useTrafficStore.getState().ids).toEqual(['e3', 'e4', 'e5']);
    v = view(v, '', null, cache);
    expect(v.visible).toEqual(['e3', 'e4', 'e5']);
  });

  it('drops an entry that arrives and is evicted in the same batch', () => {
    const store = useTrafficStore.getState();
    store.reset('s1');
    store.applyMessages([{ type: 'entry', entry: entry('e1', 200) }, { type: 'entry', entry: { id: '__evict__', notes: 'e1' } }]);
    expect(useTrafficStore.getState().ids).toEqual([]);
  });

  it('inserts new rows at their sorted place', () => {
    const store = useTrafficStore.getState();
    store.reset('s1');
    store.addEntries([entry('e1', 200, 'GET', 30), entry('e2', 200, 'GET', 10)]);
    const sort = { column: 'duration' as const, desc: false };
    let v = view(null, '', sort, { p: null });
    expect(v.visible).toEqual(['e2', 'e1']);
    useTrafficStore.getState().applyMessages([{ type: 'entry', entry: entry('e3', 200, 'GET', 20) }]);
    v = view(v, '', sort, { p: null });
    expect(v.visible).toEqual(['e2', 'e3', 'e1']);
  });

  it('treats a repeated id as an update and tracks tags in use', () => {
    const store = useTrafficStore.getState();
    store.reset('s1');
    store.addEntries([entry('e1', 200)]);
    useTrafficStore.getState().applyMessages([{ type: 'entry-updated', entry: { ...entry('e1', 200), tags: ['bug', 'auth'] } }]);
    const s = useTrafficStore.getState();
    expect(s.ids).toEqual(['e1']);
    expect(s.byId.get('e1')?.tags).toEqual(['bug', 'auth']);
    expect(s.tagsInUse).toEqual(['auth', 'bug']);
    const v = view(null, 'tag:bug');
    expect(v.visible).toEqual(['e1']);
  });

  it('ignores entries of another session', () => {
    const store = useTrafficStore.getState();
    store.reset('s2');
    store.addEntries([entry('e1', 200)]);
    expect(useTrafficStore.getState().ids).toEqual([]);
  });
});

describe('computeVisible shortcuts', () => {
  it('returns the store array itself when nothing filters, and narrows from the previous result', () => {
    const store = useTrafficStore.getState();
    store.reset('s1');
    store.addEntries([entry('e1', 200), entry('e12', 200), entry('e123', 200)]);
    const s = useTrafficStore.getState();
    const all = computeVisible(null, { ids: s.ids, byId: s.byId, lastChange: s.lastChange, predicate: null, sort: null });
    expect(all.visible).toBe(s.ids);
    const v1 = computeVisible(all, { ids: s.ids, byId: s.byId, lastChange: s.lastChange, predicate: compileFilter(parseFilter('e12')), sort: null });
    expect(v1.visible).toEqual(['e12', 'e123']);
    const v2 = computeVisible(v1, { ids: s.ids, byId: s.byId, lastChange: s.lastChange, predicate: compileFilter(parseFilter('e123')), sort: null, narrowing: true });
    expect(v2.visible).toEqual(['e123']);
  });
});
