import { renderToStaticMarkup } from 'react-dom/server';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EvictionEvent, StorageStatus, StorageUsage } from '../../../src-shared/model.js';
import { StorageUsageWarningView } from '../../components/StorageBanner.js';
import { useStorageStore } from '../../stores/storage-store.js';
import { useTrafficStore } from '../../stores/traffic-store.js';
import { StorageSectionView } from '../settings/StorageSection.js';
import { EvictionNoticeView } from './EvictionNotice.js';
import { addEvictions, evictionNoticeText, formatBytes, usageWarning, warningShown } from './storage-view.js';

const GiB = 1024 ** 3;
const status: StorageStatus = { state: 'ok', since: '2024-01-01T00:00:00.000Z', droppedBodies: 0, pendingBytes: 0, maxPendingBytes: 1 };
const usage = (u: Partial<StorageUsage>): StorageUsage => ({ entries: 0, bytes: 0, maxEntries: 1_000_000, maxBytes: 2 * GiB, evicted: 0, sessions: [], ...u });
const ev = (count: number, reason: EvictionEvent['reason'] = 'session-limit', sessionId = 's1', limit?: number): EvictionEvent => ({
  sessionId, count, reason, ...(limit === undefined ? {} : { limit }),
});

describe('human sizes', () => {
  it('uses binary units, one decimal below ten', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5 MiB');
    expect(formatBytes(1.7 * GiB)).toBe('1.7 GiB');
    expect(formatBytes(2 * GiB)).toBe('2 GiB');
  });
});

describe('usage warning', () => {
  it('stays quiet below 80% of both budgets and without usage (older servers)', () => {
    expect(usageWarning(undefined)).toBeUndefined();
    expect(usageWarning(usage({ bytes: 0.79 * 2 * GiB, entries: 799_999 }))).toBeUndefined();
  });

  it('warns past 80% of the byte budget, in the words of the brief', () => {
    const w = usageWarning(usage({ bytes: 1.7 * GiB }));
    expect(w?.percent).toBe(85);
    expect(w?.text).toBe(
      'Storage is 85% full (1.7 GiB of 2 GiB): the oldest entries of stopped sessions will be evicted first — raise --max-store-bytes or delete sessions.',
    );
  });

  it('warns past 80% of the entry budget, naming the fuller one, and says when evictions happened', () => {
    const w = usageWarning(usage({ entries: 900_000, bytes: GiB, evicted: 312 }));
    expect(w?.percent).toBe(90);
    expect(w?.text).toContain('(900,000 of 1,000,000 entries)');
    expect(w?.text).toContain('312 entries have been evicted so far.');
  });

  it('a dismissed warning returns at the next step, and after usage dropped below the threshold', () => {
    useStorageStore.setState({ report: null, warningDismissedLevel: null });
    const at = (fraction: number) => useStorageStore.getState().setReport({ ...status, usage: usage({ bytes: fraction * 2 * GiB }) });
    const shown = () => warningShown(usageWarning(useStorageStore.getState().report?.usage), useStorageStore.getState().warningDismissedLevel);
    at(0.81);
    expect(shown()).toBe(true);
    useStorageStore.getState().dismissWarning();
    expect(shown()).toBe(false);
    at(0.89);
    expect(shown()).toBe(false);
    at(0.9);
    expect(shown()).toBe(true);
    useStorageStore.getState().dismissWarning();
    at(0.5);
    at(0.82);
    expect(shown()).toBe(true);
  });

  it('renders as a dismissible status line', () => {
    const html = renderToStaticMarkup(<StorageUsageWarningView warning={usageWarning(usage({ bytes: 1.7 * GiB }))!} onDismiss={() => {}} />);
    expect(html).toContain('data-testid="storage-usage-banner"');
    expect(html).toContain('data-testid="storage-usage-dismiss"');
    expect(html).toContain('Storage is 85% full');
  });
});

describe('Settings → Storage', () => {
  it('shows the budgets, each session by name, the state, dropped bodies and evictions', () => {
    const report = {
      ...status, state: 'failing' as const, error: 'ENOSPC: no space left on device', droppedBodies: 7,
      usage: usage({ entries: 1500, bytes: 3 * 1024 * 1024, maxEntries: 2000, evicted: 42, sessions: [
        { sessionId: 's1', entries: 1000, bytes: 2 * 1024 * 1024 }, { sessionId: 'gone', entries: 500, bytes: 1024 * 1024 },
      ] }),
    };
    const html = renderToStaticMarkup(<StorageSectionView report={report} error={null} sessions={[{ id: 's1', name: 'Checkout' }]} />);
    expect(html).toContain('1,500 of 2,000');
    expect(html).toContain('3 MiB of 2 GiB');
    expect(html).toMatch(/aria-valuenow="1500"/);
    expect(html).toContain('data-level="ok"');
    expect(html).toMatch(/<td[^>]*>Checkout<\/td><td class="num">1,000<\/td><td class="num">2 MiB<\/td>/);
    // A session the list no longer knows is still counted, under its id.
    expect(html).toMatch(/<td[^>]*>gone<\/td>/);
    expect(html).toContain('failing: ENOSPC: no space left on device');
    expect(html).toContain('Dropped bodies: 7');
    expect(html).toContain('Evicted by budget: 42');
  });

  it('works against a server that sends no usage', () => {
    const html = renderToStaticMarkup(<StorageSectionView report={status} error={null} sessions={[]} />);
    expect(html).toContain('saving normally');
    expect(html).toContain('data-testid="storage-no-usage"');
    expect(html).not.toContain('Evicted by budget');
  });
});

describe('eviction notice', () => {
  beforeEach(() => useStorageStore.setState({ notice: null }));

  it('sums messages per reason for the open session and ignores other sessions', () => {
    let notice = addEvictions(null, [ev(100, 'session-limit', 's1', 1000), ev(5, 'session-limit', 'other')], 's1');
    notice = addEvictions(notice, [ev(200), ev(12)], 's1');
    expect(notice?.byReason['session-limit']).toEqual({ count: 312, limit: 1000 });
    expect(evictionNoticeText(notice!)).toBe('312 oldest entries evicted: session limit (1,000)');
    const unchanged = addEvictions(notice, [ev(3, 'session-limit', 'other')], 's1');
    expect(unchanged).toBe(notice);
  });

  it('names each reason once, with the global budgets from the report', () => {
    const notice = addEvictions(null, [ev(1, 'store-bytes'), ev(2, 'total-entries'), ev(3, 'store-bytes')], 's1')!;
    expect(evictionNoticeText(notice, usage({ maxEntries: 5000 }))).toBe(
      '2 oldest entries evicted: total entry limit (5,000); 4 oldest entries evicted: storage limit (2 GiB)',
    );
    expect(evictionNoticeText(addEvictions(null, [ev(1, 'expired')], 's1')!)).toBe('1 oldest entry evicted: retention period');
  });

  it('starts over for another session and after a dismissal', () => {
    const store = useStorageStore.getState();
    store.evicted([ev(10)], 's1');
    store.evicted([ev(4, 'session-limit', 's2')], 's2');
    expect(useStorageStore.getState().notice).toEqual({ sessionId: 's2', byReason: { 'session-limit': { count: 4, limit: undefined } } });
    useStorageStore.getState().dismissNotice();
    useStorageStore.getState().evicted([ev(1, 'session-limit', 's2')], 's2');
    expect(useStorageStore.getState().notice?.byReason['session-limit']?.count).toBe(1);
  });

  it('renders one non-blocking line', () => {
    const html = renderToStaticMarkup(<EvictionNoticeView notice={addEvictions(null, [ev(312, 'session-limit', 's1', 1000)], 's1')!} onDismiss={() => {}} />);
    expect(html).toContain('role="status"');
    expect(html).toContain('312 oldest entries evicted: session limit (1,000)');
  });

  it('an evicted message leaves the table to the __evict__ entries that come with it', () => {
    useTrafficStore.getState().reset('s1');
    expect(() => useTrafficStore.getState().applyMessages([{ type: 'evicted', eviction: ev(1) }])).not.toThrow();
    expect(useTrafficStore.getState().ids).toEqual([]);
  });
});
