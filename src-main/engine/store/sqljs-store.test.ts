import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSqlJs } from './sqljs-loader.js';
import { SqlJsStore } from './sqljs-store.js';
import type { StoreOpenOptions } from './store-types.js';
import { bodyFor, makeEntry, makeSession } from './test-support/fixtures.js';

let dir: string;
let open: SqlJsStore[];

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'recorder-store-'));
  open = [];
});

afterEach(async () => {
  for (const store of open) await store.close().catch(() => undefined);
  await fsp.rm(dir, { recursive: true, force: true });
});

async function openStore(options: Partial<StoreOpenOptions> = {}): Promise<SqlJsStore> {
  const store = await SqlJsStore.open({ dataDir: dir, onWarning: () => undefined, ...options });
  open.push(store);
  return store;
}

/** Leaves a store running without close(), as a crash would: its journal is all the next open gets. */
function abandon(store: SqlJsStore): void {
  open = open.filter((s) => s !== store);
}

async function exists(file: string): Promise<boolean> {
  return fsp.stat(file).then(
    () => true,
    () => false,
  );
}

describe('SqlJsStore', () => {
  it('keeps sessions, entries and bodies across close and open', async () => {
    const store = await openStore();
    store.upsertSession(makeSession('s1'));
    store.upsertSession(makeSession('s2', { name: 'second' }));
    store.upsertSession(makeSession('s1', { status: 'stopped', stoppedAt: '2024-01-01T01:00:00.000Z' }));
    const entry = makeEntry('s1', 'e1');
    entry.response!.body.text = '{"decoded":true}';
    store.insertEntry(entry, { request: Buffer.from('req-bytes'), response: Buffer.from([0, 1, 2, 255]) });
    store.insertEntry(makeEntry('s2', 'e2', { entryType: 'tunnel' }), {});
    await store.close();

    const again = await openStore();
    expect(again.listSessions().map((s) => [s.id, s.status])).toEqual([
      ['s1', 'stopped'],
      ['s2', 'running'],
    ]);
    expect(again.getSession('s2')).toEqual(makeSession('s2', { name: 'second' }));
    expect(again.getSession('nope')).toBeUndefined();
    const stored = again.getEntry('s1', 'e1');
    // Decoded text is not stored: bodies come back as raw bytes through readBody.
    expect(stored?.response?.body.text).toBeUndefined();
    expect({ ...stored, response: undefined }).toEqual({ ...makeEntry('s1', 'e1'), response: undefined });
    expect(again.readBody('s1', 'e1', 'request')).toEqual(Buffer.from('req-bytes'));
    expect(again.readBody('s1', 'e1', 'response')).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(again.readBody('s2', 'e2', 'request')).toBeUndefined();
    expect(again.readBody('s1', 'missing', 'request')).toBeUndefined();
    expect(again.getEntry('s2', 'e2')?.entryType).toBe('tunnel');
    expect(again.countEntries('s1')).toBe(1);
    expect(again.countEntries('unknown')).toBe(0);
  });

  it('lists chronologically by request start with the total, and gives the oldest arrivals for eviction', async () => {
    const store = await openStore();
    store.upsertSession(makeSession('s1'));
    for (let i = 0; i < 25; i++) {
      // Arrival order and start order disagree (as with several proxy workers): listing follows start time,
      // eviction follows arrival.
      store.insertEntry(makeEntry('s1', `e${i}`, { startedAt: new Date(2e12 - i * 1000).toISOString() }), {});
      if (i % 5 === 0) store.insertEntry(makeEntry('other', `o${i}`), {});
    }
    const page = store.listEntries('s1', 10, 5);
    expect(page.total).toBe(25);
    expect(page.entries.map((e) => e.id)).toEqual(['e14', 'e13', 'e12', 'e11', 'e10']);
    expect(store.listEntries('s1', 23, 10).entries.map((e) => e.id)).toEqual(['e1', 'e0']);
    expect(store.listEntries('s1', 30, 10)).toEqual({ entries: [], total: 25 });
    expect(store.oldestEntryIds('s1', 3)).toEqual(['e0', 'e1', 'e2']);

    store.deleteEntries('s1', store.oldestEntryIds('s1', 3));
    expect(store.countEntries('s1')).toBe(22);
    expect(store.oldestEntryIds('s1', 1)).toEqual(['e3']);
    expect(store.countEntries('other')).toBe(5);
    await store.close();

    const again = await openStore();
    expect(again.listEntries('s1', 0, 3).entries.map((e) => e.id)).toEqual(['e24', 'e23', 'e22']);
    const last = new Date(2e12 + 1000).toISOString();
    again.insertEntry(makeEntry('s1', 'late', { startedAt: last }), {});
    again.insertEntry(makeEntry('s1', 'late-too', { startedAt: last }), {});
    // Same start time: arrival order.
    expect(again.listEntries('s1', 0, 100).entries.slice(-2).map((e) => e.id)).toEqual(['late', 'late-too']);
    expect(again.countEntries('s1')).toBe(24);
  });

  it('updates tags and notes, durably', async () => {
    const store = await openStore();
    store.insertEntry(makeEntry('s1', 'e1'), {});
    expect(store.updateEntry('s1', 'e1', { tags: ['slow', 'auth'] })?.tags).toEqual(['slow', 'auth']);
    const updated = store.updateEntry('s1', 'e1', { notes: 'look at the token' });
    expect(updated).toMatchObject({ tags: ['slow', 'auth'], notes: 'look at the token' });
    expect(store.updateEntry('s1', 'missing', { notes: 'x' })).toBeUndefined();
    await store.flush();
    abandon(store);

    // Reopen from the journal alone (no close, so no snapshot), then from a snapshot.
    const fromJournal = await openStore();
    expect(fromJournal.getEntry('s1', 'e1')).toMatchObject({ tags: ['slow', 'auth'], notes: 'look at the token' });
    await fromJournal.close();
    const fromSnapshot = await openStore();
    expect(fromSnapshot.getEntry('s1', 'e1')).toMatchObject({ tags: ['slow', 'auth'], notes: 'look at the token' });
  });

  it('keeps large bodies in files, out of the database and the journal', async () => {
    const store = await openStore();
    store.upsertSession(makeSession('s1'));
    const big = bodyFor('e1', 'response', 1_000_000);
    const small = bodyFor('e1', 'request', 16 * 1024);
    store.insertEntry(makeEntry('s1', 'e1'), { request: small, response: big });
    // Readable at once, before the background write has happened.
    expect(store.readBody('s1', 'e1', 'response')?.equals(big)).toBe(true);
    await store.flush();
    const file = path.join(dir, 'bodies', 's1', 'e1.response');
    expect((await fsp.readFile(file)).equals(big)).toBe(true);
    expect(await exists(path.join(dir, 'bodies', 's1', 'e1.request'))).toBe(false);
    const journals = (await fsp.readdir(dir)).filter((name) => name.startsWith('journal-'));
    for (const name of journals) expect((await fsp.stat(path.join(dir, name))).size).toBeLessThan(100_000);
    await store.close();

    const db = await fsp.readFile(path.join(dir, 'recorder.db'));
    expect(db.length).toBeLessThan(200_000);
    expect(db.includes(big.subarray(0, 64))).toBe(false);
    expect((await fsp.stat(dir)).mode & 0o777).toBe(0o700);
    expect((await fsp.stat(path.join(dir, 'recorder.db'))).mode & 0o777).toBe(0o600);
    expect((await fsp.stat(file)).mode & 0o777).toBe(0o600);

    const again = await openStore();
    expect(again.readBody('s1', 'e1', 'response')?.equals(big)).toBe(true);
    expect(again.readBody('s1', 'e1', 'request')?.equals(small)).toBe(true);
  });

  it('removes body files with their entries and sessions', async () => {
    const store = await openStore({ inlineBodyLimit: 100 });
    store.upsertSession(makeSession('s1'));
    store.upsertSession(makeSession('s2'));
    for (const id of ['a', 'b', 'c']) {
      store.insertEntry(makeEntry('s1', id), { request: bodyFor(id, 'request', 500), response: bodyFor(id, 'response', 500) });
    }
    store.insertEntry(makeEntry('s2', 'x'), { response: bodyFor('x', 'response', 500) });
    // Inserted and deleted before any flush: the file must never appear.
    store.insertEntry(makeEntry('s1', 'gone'), { response: bodyFor('gone', 'response', 500) });
    store.deleteEntries('s1', ['gone']);
    await store.flush();
    const s1 = path.join(dir, 'bodies', 's1');
    expect((await fsp.readdir(s1)).sort()).toEqual(['a.request', 'a.response', 'b.request', 'b.response', 'c.request', 'c.response']);

    store.deleteEntries('s1', ['a', 'c', 'not-there']);
    expect(store.countEntries('s1')).toBe(1);
    await store.flush();
    expect((await fsp.readdir(s1)).sort()).toEqual(['b.request', 'b.response']);

    store.deleteSession('s1');
    expect(store.getSession('s1')).toBeUndefined();
    expect(store.countEntries('s1')).toBe(0);
    expect(store.listEntries('s1', 0, 10)).toEqual({ entries: [], total: 0 });
    await store.flush();
    expect(await exists(s1)).toBe(false);
    expect(await fsp.readdir(path.join(dir, 'bodies', 's2'))).toEqual(['x.response']);
    await store.close();

    const again = await openStore();
    expect(again.listSessions().map((s) => s.id)).toEqual(['s2']);
    expect(again.getEntry('s1', 'b')).toBeUndefined();
    expect(again.readBody('s2', 'x', 'response')?.length).toBe(500);
  });

  it('replaces an entry inserted twice in place, and refuses use after close', async () => {
    const store = await openStore();
    store.insertEntry(makeEntry('s1', 'a'), { response: Buffer.from('old') });
    store.insertEntry(makeEntry('s1', 'b'), {});
    store.insertEntry(makeEntry('s1', 'a', { notes: 'second' }), { response: Buffer.from('new') });
    expect(store.countEntries('s1')).toBe(2);
    expect(store.listEntries('s1', 0, 10).entries.map((e) => [e.id, e.notes])).toEqual([
      ['a', 'second'],
      ['b', ''],
    ]);
    expect(store.readBody('s1', 'a', 'response')).toEqual(Buffer.from('new'));
    await Promise.all([store.close(), store.close()]);
    expect(() => store.insertEntry(makeEntry('s1', 'c'), {})).toThrow(/closed/);
    expect(() => store.countEntries('s1')).toThrow(/closed/);
    const again = await openStore();
    expect(again.countEntries('s1')).toBe(2);
    expect(again.readBody('s1', 'a', 'response')).toEqual(Buffer.from('new'));
  });

  it('writes snapshots as plain SQLite files with 16 KiB pages', async () => {
    const store = await openStore();
    store.upsertSession(makeSession('s1'));
    for (let i = 0; i < 50; i++) store.insertEntry(makeEntry('s1', `e${i}`), { response: Buffer.alloc(1000, i) });
    await store.close();
    const SQL = await loadSqlJs();
    const db = new SQL.Database(await fsp.readFile(path.join(dir, 'recorder.db')));
    try {
      expect(db.exec('PRAGMA page_size')[0]?.values).toEqual([[16384]]);
      expect(db.exec('PRAGMA integrity_check')[0]?.values).toEqual([['ok']]);
      expect(db.exec("SELECT COUNT(*) FROM entries WHERE session_id = 's1'")[0]?.values).toEqual([[50]]);
      expect(db.exec("SELECT id FROM sessions")[0]?.values).toEqual([['s1']]);
    } finally {
      db.close();
    }
  });

  it('never lets an id escape the bodies folder', async () => {
    const store = await openStore({ inlineBodyLimit: 10 });
    store.insertEntry(makeEntry('../../evil', '../x'), { response: Buffer.alloc(100, 1) });
    await store.flush();
    expect((await fsp.readdir(dir)).filter((name) => !name.startsWith('journal-')).sort()).toEqual(['bodies']);
    expect(store.readBody('../../evil', '../x', 'response')).toEqual(Buffer.alloc(100, 1));
  });

  it('rotates snapshots under many writes without losing anything', async () => {
    const store = await openStore({ snapshotJournalBytes: 50_000, journalFlushMs: 5, inlineBodyLimit: 1000 });
    store.upsertSession(makeSession('s1'));
    let sawSnapshot = false;
    for (let i = 0; i < 1500; i++) {
      const body = bodyFor(`e${i}`, 'response', i % 10 === 0 ? 3000 : 300);
      store.insertEntry(makeEntry('s1', `e${i}`), { response: body });
      if (i % 100 === 99) store.deleteEntries('s1', [`e${i - 99}`]);
      if (i % 10 === 5) store.updateEntry('s1', `e${i}`, { notes: `note ${i}` });
      if (i % 20 === 0) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        sawSnapshot ||= await exists(path.join(dir, 'recorder.db'));
      }
    }
    await store.flush();
    expect(sawSnapshot).toBe(true);
    // Older journals are deleted once a snapshot covers them.
    expect((await fsp.readdir(dir)).filter((name) => name.startsWith('journal-')).length).toBeLessThanOrEqual(2);

    abandon(store);
    // Reopen without close(): snapshot + journal replay must give the same result as a clean close.
    const replayed = await openStore({ journalFlushMs: 5 });
    const check = (s: SqlJsStore): void => {
      expect(s.countEntries('s1')).toBe(1500 - 15);
      const ids = s.listEntries('s1', 0, 2000).entries.map((e) => e.id);
      const expected = Array.from({ length: 1500 }, (_, i) => `e${i}`).filter((_, i) => i % 100 !== 0);
      expect(ids).toEqual(expected);
      expect(s.getEntry('s1', 'e1005')?.notes).toBe('note 1005');
      expect(s.readBody('s1', 'e1010', 'response')?.equals(bodyFor('e1010', 'response', 3000))).toBe(true);
      expect(s.readBody('s1', 'e1011', 'response')?.equals(bodyFor('e1011', 'response', 300))).toBe(true);
    };
    check(replayed);
    await replayed.close();
    check(await openStore());
  });
});
