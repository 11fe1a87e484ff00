/**
 * Opening after a kill -9 that caught the index ahead of the log: the index worker commits rows within 200 ms while
 * the log writes and fsyncs every 250 ms, so rows (and a watermark) can lie past the log's end once its torn tail is
 * cut. Simulated without a race: a cleanly closed store's log is cut back by hand, which leaves exactly that index.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SegmentStore } from './segment-store.js';
import { bodyFor, makeEntry, makeSession } from './test-support/fixtures.js';

const dirs: string[] = [];
const stores: SegmentStore[] = [];

async function tempDir(): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tr-replay-'));
  dirs.push(dir);
  return dir;
}

async function open(dataDir: string, warnings: string[] = []): Promise<SegmentStore> {
  const store = await SegmentStore.open({ dataDir, onWarning: (m) => warnings.push(m) });
  stores.push(store);
  return store;
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) await fsp.rm(dir, { recursive: true, force: true });
});

function insert(store: SegmentStore, id: string): void {
  const entry = makeEntry('s1', id, { startedAt: new Date(1_700_000_000_000 + Number(id.slice(1)) * 1000).toISOString() });
  const response = bodyFor(id, 'response', 2_000);
  entry.response!.body = { size: response.length, capturedSize: response.length, truncated: false, contentType: 'application/json' };
  store.insertEntries([{ entry, bodies: { response } }]);
}

/** Count and list agree, the list is e0..e(n-1) in order, and every listed entry and body reads. */
async function expectWhole(store: SegmentStore): Promise<number> {
  const count = store.countEntries('s1');
  const page = await store.listEntries('s1', 0, 1000);
  expect(page.total).toBe(count);
  expect(page.entries.map((e) => e.id)).toEqual(Array.from({ length: count }, (_, i) => `e${i}`));
  for (const e of page.entries) {
    expect(e.bodyLost, e.id).toBeFalsy();
    expect(await store.readBody('s1', e.id, 'response'), e.id).toEqual(bodyFor(e.id, 'response', 2_000));
  }
  return count;
}

describe('store open: the index never ahead of the log', () => {
  it('drops rows of records the log lost, then indexes what is appended again at the cut', async () => {
    const dataDir = await tempDir();
    let store = await open(dataDir);
    store.upsertSession(makeSession('s1'));
    for (let i = 0; i < 40; i++) insert(store, `e${i}`);
    await store.close();
    const segment = path.join(dataDir, 'sessions', 's1', '0000000000.seg');
    const full = await fsp.readFile(segment);
    // Mid-record: the log cuts its torn tail at the last good record when opened.
    await fsp.truncate(segment, Math.floor(full.length * 0.6));

    const warnings: string[] = [];
    store = await open(dataDir, warnings);
    const kept = await expectWhole(store);
    expect(kept).toBeGreaterThan(10);
    expect(kept).toBeLessThan(30);
    expect(warnings.join('\n')).toMatch(new RegExp(`${40 - kept} index rows of session s1 named records its log lost`));
    expect(await store.getEntry('s1', 'e39')).toBeUndefined();
    expect(await store.searchEntries('s1', 'e39')).toEqual([]);
    await store.close();

    // The next run appends at the cut and is killed before the index commits: those records are replayed at open
    // only if the watermark was brought back to the cut (the stale one lies past them). Same bytes as before the cut.
    const cut = (await fsp.stat(segment)).size;
    expect((await fsp.readFile(segment)).equals(full.subarray(0, cut))).toBe(true);
    await fsp.appendFile(segment, full.subarray(cut));
    store = await open(dataDir);
    expect(await expectWhole(store)).toBe(40);
    insert(store, 'e40');
    expect(store.countEntries('s1')).toBe(41);
    await store.close();
    store = await open(dataDir);
    expect(await expectWhole(store)).toBe(41);
  });

  it('drops every row of a session whose log is gone, and keeps the session', async () => {
    const dataDir = await tempDir();
    let store = await open(dataDir);
    store.upsertSession(makeSession('s1'));
    for (let i = 0; i < 10; i++) insert(store, `e${i}`);
    await store.close();
    await fsp.rm(path.join(dataDir, 'sessions', 's1'), { recursive: true });

    store = await open(dataDir);
    expect(store.listSessions().map((s) => s.id)).toEqual(['s1']);
    expect(await expectWhole(store)).toBe(0);
    insert(store, 'e0');
    expect(await expectWhole(store)).toBe(1);
  });
});
