import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../src-shared/model.js';
import { toEntryRow } from '../entries/entry-row.js';
import { injectedBadge, injectedWords } from './badge-words.js';

const entry = (extra: Partial<Entry>): Entry => ({
  id: 'e', sessionId: 's', entryType: 'http', startedAt: '', durationMs: 1, tags: [], notes: '', mapLocal: false,
  timings: { dnsMs: -1, connectMs: -1, tlsMs: -1, sendMs: 0, waitMs: 0, recvMs: 0, totalMs: 1 },
  request: { method: 'GET', url: 'http://a.test/x', httpVersion: '1.1', headers: [], body: { size: 0, encoding: 'none', truncated: false } },
  ...extra,
} as Entry);

describe('shaping badges', () => {
  it('names what the toxics did, short on the badge and whole in words', () => {
    expect(injectedBadge({ kind: 'error', status: 503, cause: 'errorRate' })).toBe('error 503');
    expect(injectedWords({ kind: 'error', status: 503, cause: 'failFirst', set: 1 })).toBe('answered 503 by the proxy, never sent upstream, by failFirst, toxic set 1');
    expect(injectedBadge({ kind: 'slowRead', slowReadKBps: 4 })).toBe('slow read');
    expect(injectedWords({ kind: 'delay', delayMs: 212, bandwidthKBps: 64 })).toBe('delayed 212 ms, response at 64 KB/s');
  });
  it('puts the toxic and the applied rules on the row, nothing when the entry has neither', () => {
    const row = toEntryRow(entry({ injected: { kind: 'delay', delayMs: 5 }, modified: { rules: ['responseHeaders[0]'] } }), 1);
    expect(row.injected).toEqual({ kind: 'delay', delayMs: 5 });
    expect(row.modifiedRules).toEqual(['responseHeaders[0]']);
    const plain = toEntryRow(entry({ modified: { rules: [] } }), 2);
    expect('injected' in plain || 'modifiedRules' in plain).toBe(false);
  });
});
