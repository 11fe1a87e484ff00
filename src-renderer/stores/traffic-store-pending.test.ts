import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src-shared/model.js';
import { EVICT_ENTRY_ID } from '../../src-shared/model.js';
import { useTrafficStore } from './traffic-store.js';

const pending = { id: 'p1', sessionId: 's', method: 'POST', url: 'http://a.test/slow', startedAt: '2024-01-01T00:00:00.000Z' };
const finished: Entry = {
  id: 'p1', sessionId: 's', entryType: 'http', startedAt: pending.startedAt, durationMs: 2500, tags: [], notes: '', mapLocal: false,
  timings: { dnsMs: -1, connectMs: -1, tlsMs: -1, sendMs: 0, waitMs: 0, recvMs: 0, totalMs: 2500 },
  request: { method: 'POST', url: pending.url, httpVersion: '1.1', headers: [], body: { size: 0, capturedSize: 0, truncated: false } },
  response: { statusCode: 201, statusMessage: 'Created', httpVersion: '1.1', headers: [], body: { size: 0, capturedSize: 0, truncated: false } },
};

describe('pending rows in the traffic store', () => {
  it('adds a pending row and completes it in place when its entry arrives', () => {
    const store = useTrafficStore.getState();
    store.reset('s');
    store.applyMessages([{ type: 'pending', entry: pending }]);
    const row = useTrafficStore.getState().byId.get('p1');
    expect(row).toMatchObject({ pending: true, method: 'POST', host: 'a.test', path: '/slow', status: 0 });
    store.applyMessages([{ type: 'entry', entry: finished }]);
    const state = useTrafficStore.getState();
    expect(state.ids).toEqual(['p1']);
    expect(state.byId.get('p1')).toMatchObject({ status: 201, durationMs: 2500, seq: row!.seq });
    expect(state.byId.get('p1')!.pending).toBeUndefined();
    expect(state.lastChange?.updated).toEqual(['p1']);
  });

  it('never turns a finished row back into a pending one, and drops a withdrawn one', () => {
    const store = useTrafficStore.getState();
    store.reset('s');
    store.addEntries([finished]);
    store.applyMessages([{ type: 'pending', entry: pending }]);
    expect(useTrafficStore.getState().byId.get('p1')!.status).toBe(201);
    store.applyMessages([{ type: 'pending', entry: { ...pending, id: 'p2' } }, { type: 'entry', entry: { id: EVICT_ENTRY_ID, notes: 'p2' } }]);
    expect(useTrafficStore.getState().ids).toEqual(['p1']);
  });
});
