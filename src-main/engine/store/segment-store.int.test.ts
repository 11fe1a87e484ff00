/**
 * The v2 store end to end on real files: round trip and reopen, a kill -9 in the middle of writing, a corrupt index
 * rebuilt from the logs, eviction by the global budgets across sessions, and the conversion of a v1 data dir written
 * by the previous store.
 */
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SegmentStore, type SegmentStoreOptions } from './segment-store.js';
import type { EvictionNotice } from './store-types.js';
import { bodyFor, makeEntry, makeSession } from './test-support/fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dirs: string[] = [];
const stores: SegmentStore[] = [];

async function tempDir(): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tr-store2-'));
  dirs.push(dir);
  return dir;
}

async function open(options: SegmentStoreOptions): Promise<SegmentStore> {
  const store = await SegmentStore.open({ onWarning: () => undefined, ...options });
  stores.push(store);
  return store;
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) await fsp.rm(dir, { recursive: true, force: true });
});

function insert(store: SegmentStore, sessionId: string, id: string, opts: { startedAt?: number; size?: number; marker?: string } = {}): void {
  const entry = makeEntry(sessionId, id, { startedAt: new Date(opts.startedAt ?? 1_700_000_000_000).toISOString() });
  const response = opts.marker ? Buffer.from(`{"marker":"${opts.marker}"}`) : bodyFor(id, 'response', opts.size ?? 300);
  entry.response!.body = { size: response.length, capturedSize: response.length, truncated: false, contentType: 'application/json' };
  entry.request.body = { size: 100, capturedSize: 100, truncated: false, contentType: 'application/json' };
  store.insertEntries([{ entry, bodies: { request: bodyFor(id, 'request', 100), response } }]);
}

describe('SegmentStore', () => {
  it('keeps entries, bodies, tags and order across a reopen', async () => {
    const dataDir = await tempDir();
    let store = await open({ dataDir });
    store.upsertSession(makeSession('s1'));
    for (let i = 0; i < 50; i++) insert(store, 's1', `e${i}`, { startedAt: 1_700_000_000_000 + (i % 2 === 0 ? i : 100 - i) * 1000 });
    // Visible at once, before any flush.
    expect(store.countEntries('s1')).toBe(50);
    expect((await store.getEntry('s1', 'e7'))?.id).toBe('e7');
    expect(await store.readBody('s1', 'e7', 'response')).toEqual(bodyFor('e7', 'response', 300));
    expect((await store.updateEntry('s1', 'e3', { tags: ['login'], notes: 'looked at it' }))?.tags).toEqual(['login']);
    const before = await store.listEntries('s1', 0, 100);
    await store.close();

    store = await open({ dataDir });
    expect(store.listSessions().map((s) => s.id)).toEqual(['s1']);
    const after = await store.listEntries('s1', 0, 100);
    expect(after.total).toBe(50);
    expect(after.entries.map((e) => e.id)).toEqual(before.entries.map((e) => e.id));
    // Chronological by request start.
    const starts = after.entries.map((e) => Date.parse(e.startedAt));
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    const e3 = await store.getEntry('s1', 'e3');
    expect(e3?.tags).toEqual(['login']);
    expect(e3?.notes).toBe('looked at it');
    expect(await store.readBody('s1', 'e49', 'request')).toEqual(bodyFor('e49', 'request', 100));
    // New entries go on after the old ones, numbering carried over.
    insert(store, 's1', 'late', { startedAt: 1_800_000_000_000 });
    expect((await store.listEntries('s1', 50, 10)).entries.map((e) => e.id)).toEqual(['late']);
  });

  it('finds entries by URL, header and body text, and forgets deleted ones', async () => {
    const store = await open({ dataDir: await tempDir() });
    store.upsertSession(makeSession('s1'));
    insert(store, 's1', 'a', { marker: 'zebra-crossing-42' });
    insert(store, 's1', 'b');
    expect(await store.searchEntries('s1', 'zebra-crossing-42')).toEqual(['a']);
    expect(await store.searchEntries('s1', 'orders')).toEqual(['a', 'b']);
    await store.updateEntry('s1', 'b', { notes: 'flamingo' });
    expect(await store.searchEntries('s1', 'flamingo')).toEqual(['b']);
    await store.deleteEntries('s1', ['a']);
    expect(await store.searchEntries('s1', 'zebra')).toEqual([]);
    expect(store.countEntries('s1')).toBe(1);
    expect(await store.getEntry('s1', 'a')).toBeUndefined();
  });

  it('rebuilds a corrupt index from the session logs, losing nothing', async () => {
    const dataDir = await tempDir();
    let store = await open({ dataDir });
    store.upsertSession(makeSession('s1'));
    for (let i = 0; i < 30; i++) insert(store, 's1', `e${i}`, i === 17 ? { marker: 'needle-in-log' } : {});
    await store.deleteEntries('s1', ['e5']);
    await store.close();
    await fsp.writeFile(path.join(dataDir, 'index', 'index.db'), Buffer.alloc(8192, 0x5a));
    const warnings: string[] = [];
    store = await open({ dataDir, onWarning: (m) => warnings.push(m) });
    expect(warnings.join('\n')).toMatch(/rebuild/i);
    expect(store.countEntries('s1')).toBe(29);
    expect(await store.searchEntries('s1', 'needle-in-log')).toEqual(['e17']);
    expect(await store.getEntry('s1', 'e5')).toBeUndefined();
    expect(await store.readBody('s1', 'e29', 'response')).toEqual(bodyFor('e29', 'response', 300));
    const aside = (await fsp.readdir(path.join(dataDir, 'index'))).filter((n) => n.includes('corrupt'));
    expect(aside.length).toBe(1);
  });

  it('replaces an index worker that dies, re-indexing from the logs, and goes on recording', async () => {
    const warnings: string[] = [];
    const store = await open({ dataDir: await tempDir(), onWarning: (m) => warnings.push(m) });
    store.upsertSession(makeSession('s1'));
    for (let i = 0; i < 30; i++) insert(store, 's1', `e${i}`, i === 3 ? { marker: 'before-the-crash' } : {});
    expect(await store.searchEntries('s1', 'before-the-crash')).toEqual(['e3']);
    // What an out-of-memory abort or a bug in the worker would do.
    await (store as unknown as { ctx: { index: { terminate(): Promise<void> } } }).ctx.index.terminate();
    for (let i = 30; i < 40; i++) insert(store, 's1', `e${i}`, i === 35 ? { marker: 'after-the-crash' } : {});
    await expect.poll(() => warnings.some((w) => /restarted/.test(w)), { timeout: 20_000 }).toBe(true);
    expect(warnings.join('\n')).toMatch(/exited unexpectedly.*restarting/);
    expect(await store.searchEntries('s1', 'before-the-crash')).toEqual(['e3']);
    expect(await store.searchEntries('s1', 'after-the-crash')).toEqual(['e35']);
    const page = await store.listEntries('s1', 0, 100);
    expect(page.total).toBe(40);
    expect(page.entries.map((e) => e.id)).toEqual(Array.from({ length: 40 }, (_, i) => `e${i}`));
    expect(store.countEntries('s1')).toBe(40);
  });

  it('evicts by the total-entries budget: stopped sessions first, then the oldest running one, and says so', async () => {
    const notices: EvictionNotice[] = [];
    const store = await open({ dataDir: await tempDir(), maxTotalEntries: 40, onEvicted: (n) => notices.push(n) });
    store.upsertSession(makeSession('old-stopped', { status: 'stopped', stoppedAt: '2024-01-01T02:00:00.000Z' }));
    store.upsertSession(makeSession('running', { startedAt: '2024-01-01T03:00:00.000Z' }));
    for (let i = 0; i < 25; i++) insert(store, 'old-stopped', `s${i}`);
    for (let i = 0; i < 10; i++) insert(store, 'running', `r${i}`);
    await store.flush();
    expect(notices).toEqual([]);
    for (let i = 10; i < 30; i++) insert(store, 'running', `r${i}`);
    await expect.poll(() => store.usage().entries).toBeLessThanOrEqual(40);
    await store.flush();
    // 55 entries, budget 40: the 15 oldest of the stopped session went, the running one kept all 30.
    expect(store.countEntries('running')).toBe(30);
    expect(store.countEntries('old-stopped')).toBe(10);
    expect(notices.every((n) => n.sessionId === 'old-stopped' && n.reason === 'total-entries')).toBe(true);
    expect(notices.flatMap((n) => n.ids)).toEqual(Array.from({ length: 15 }, (_, i) => `s${i}`));
    expect((await store.listEntries('old-stopped', 0, 1)).entries[0]?.id).toBe('s15');
    // Past the stopped session's entries, the running one loses its oldest.
    for (let i = 30; i < 50; i++) insert(store, 'running', `r${i}`);
    await expect.poll(() => store.usage().entries).toBeLessThanOrEqual(40);
    await store.flush();
    expect(store.countEntries('old-stopped')).toBe(0);
    expect(store.countEntries('running')).toBe(40);
    expect((await store.listEntries('running', 0, 1)).entries[0]?.id).toBe('r10');
    expect(store.usage().evicted).toBe(35);
  });

  it('past a large budget evicts a thousandth more at once, so eviction does not run on every batch', async () => {
    const notices: EvictionNotice[] = [];
    const store = await open({ dataDir: await tempDir(), maxEntriesPerSession: 10_000, onEvicted: (n) => notices.push(n) });
    store.upsertSession(makeSession('big'));
    for (let i = 0; i < 10_000; i++) insert(store, 'big', `b${i}`, { size: 10 });
    await store.flush();
    expect(notices).toEqual([]);
    insert(store, 'big', 'b10000', { size: 10 });
    await expect.poll(() => notices.length, { timeout: 30_000 }).toBe(1);
    // One over the limit: that one and 10 (a thousandth of 10,000) more went, the oldest first.
    expect(notices[0]!.ids).toEqual(Array.from({ length: 11 }, (_, i) => `b${i}`));
    expect(store.countEntries('big')).toBe(9_990);
    // Room for ten more before the next pass.
    for (let i = 10_001; i < 10_011; i++) insert(store, 'big', `b${i}`, { size: 10 });
    await store.flush();
    expect((await store.listEntries('big', 0, 1)).entries[0]?.id).toBe('b11');
    expect(store.countEntries('big')).toBe(10_000);
    expect(notices).toHaveLength(1);
  });

  it('answers a read right after inserts past a limit within the limit (the pass that waits runs first)', async () => {
    const store = await open({ dataDir: await tempDir(), maxEntriesPerSession: 50 });
    store.upsertSession(makeSession('s'));
    for (let i = 0; i < 80; i++) insert(store, 's', `e${i}`);
    const page = await store.listEntries('s', 0, 100);
    expect(page.total).toBe(50);
    expect(page.entries.map((e) => e.id)).toEqual(Array.from({ length: 50 }, (_, i) => `e${i + 30}`));
    // While more arrive: each answer is within the limit.
    const pages = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20; i++) insert(store, 's', `r${round}-${i}`);
      pages.push(store.listEntries('s', 0, 100));
    }
    for (const p of await Promise.all(pages)) {
      expect(p.total).toBe(50);
      expect(p.entries).toHaveLength(50);
    }
  });

  it('evicts whole segments to stay within the byte budget, and deletes their files', async () => {
    const dataDir = await tempDir();
    const notices: EvictionNotice[] = [];
    const budget = 2 * 1024 * 1024;
    const store = await open({ dataDir, maxStoreBytes: budget, segmentBytes: 128 * 1024, onEvicted: (n) => notices.push(n) });
    store.upsertSession(makeSession('s1'));
    for (let i = 0; i < 400; i++) {
      insert(store, 's1', `e${i}`, { size: 10_000 });
      if (i % 50 === 49) await store.flush();
    }
    await store.flush();
    await expect.poll(() => store.usage().bytes).toBeLessThanOrEqual(budget);
    const files = await fsp.readdir(path.join(dataDir, 'sessions', 's1'));
    const onDisk = (await Promise.all(files.map((f) => fsp.stat(path.join(dataDir, 'sessions', 's1', f))))).reduce((n, s) => n + s.size, 0);
    expect(onDisk).toBeLessThanOrEqual(budget + 128 * 1024);
    expect(notices.length).toBeGreaterThan(0);
    expect(notices.every((n) => n.reason === 'store-bytes')).toBe(true);
    const evicted = notices.flatMap((n) => n.ids);
    expect(store.countEntries('s1')).toBe(400 - evicted.length);
    // The newest are all there, and readable.
    const last = await store.listEntries('s1', store.countEntries('s1') - 1, 1);
    expect(last.entries[0]?.id).toBe('e399');
    expect(await store.readBody('s1', 'e399', 'response')).toEqual(bodyFor('e399', 'response', 10_000));
    // Whole segments went, never a body another entry still needs (bodies can sit one segment below their entry).
    const kept = await store.listEntries('s1', 0, 1000);
    for (const e of kept.entries) expect((await store.readBody('s1', e.id, 'response'))?.length, e.id).toBe(10_000);
    expect(kept.entries.every((e) => !e.bodyLost)).toBe(true);
  });

  it('keeps what was durable when killed with SIGKILL in the middle of writing', async () => {
    const dataDir = await tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'test-support', 'crash-writer-v2.ts'), dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let durable = -1;
    let printed = -1;
    let buffer = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith('D ')) durable = Number(line.slice(2));
          else if (line) printed = Number(line);
        }
        if (durable >= 300) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    await new Promise((r) => child.once('close', r));
    const store = await open({ dataDir });
    const count = store.countEntries('s1');
    expect(count).toBeGreaterThanOrEqual(durable + 1);
    expect(count).toBeLessThanOrEqual(printed + 1);
    const page = await store.listEntries('s1', 0, count);
    // A prefix of what was written, in order, every body intact.
    expect(page.entries.map((e) => e.id)).toEqual(Array.from({ length: count }, (_, i) => `e${i}`));
    for (const id of ['e0', `e${durable}`, `e${count - 1}`]) {
      const size = Number(id.slice(1)) % 7 === 0 ? 40_000 : 3_000;
      expect(await store.readBody('s1', id, 'response')).toEqual(bodyFor(id, 'response', size));
    }
    // And it records on.
    insert(store, 's1', 'after-crash');
    expect(store.countEntries('s1')).toBe(count + 1);
  });

  it('converts a v1 data dir once, with nothing lost, and keeps the old files aside', async () => {
    const dataDir = await tempDir();
    await fsp.cp(path.join(here, 'test-support', 'fixtures', 'v1-data-dir'), dataDir, { recursive: true });
    const warnings: string[] = [];
    let store = await open({ dataDir, maxEntriesPerSession: 1000, onWarning: (m) => warnings.push(m) });
    expect(warnings.join('\n')).toMatch(/convert/);
    const check = async (s: SegmentStore) => {
      expect(s.listSessions().map((r) => r.name).sort()).toEqual(['alpha', 'beta']);
      expect(s.countEntries('s-alpha')).toBe(19); // 20 of the 30, one deleted
      expect(s.countEntries('s-beta')).toBe(10);
      const e1 = await s.getEntry('s-alpha', 'e001');
      expect(e1?.tags).toEqual(['login', 'slow']);
      expect(e1?.notes).toBe('first note');
      expect((await s.getEntry('s-beta', 'e003'))?.notes).toBe('after the snapshot');
      expect(await s.getEntry('s-alpha', 'e002')).toBeUndefined();
      expect((await s.readBody('s-alpha', 'e004', 'request'))?.toString()).toBe('{"n":4,"marker":"needle-4"}');
      expect(await s.readBody('s-alpha', 'e005', 'response')).toEqual(Buffer.alloc(5000, 'B'));
      expect((await s.readBody('s-beta', 'e015', 'response'))?.length).toBe(5000);
      const lost = await s.getEntry('s-alpha', 'e010');
      expect(lost?.bodyLost).toBe(true);
      expect(lost?.response?.body.lost).toBe(true);
      expect(await s.searchEntries('s-alpha', 'unique-token-29')).toEqual(['e029']);
      const page = await s.listEntries('s-alpha', 0, 100);
      const starts = page.entries.map((e) => e.startedAt);
      expect([...starts].sort()).toEqual(starts);
    };
    await check(store);
    const names = await fsp.readdir(dataDir);
    expect(names).toContain('store-version');
    expect(names).not.toContain('recorder.db');
    const backup = names.find((n) => n.startsWith('v1-backup-'));
    expect(backup).toBeDefined();
    expect(await fsp.readdir(path.join(dataDir, backup!))).toContain('recorder.db');
    await store.close();
    // Once: the next open does not convert again, and has the same data.
    warnings.length = 0;
    store = await open({ dataDir, onWarning: (m) => warnings.push(m) });
    expect(warnings.join('\n')).not.toMatch(/convert/);
    await check(store);
  });
});
