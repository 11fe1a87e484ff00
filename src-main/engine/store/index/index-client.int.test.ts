/**
 * The index worker through its client: a real worker thread, real sql.js, real index.db files in a temp dir.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { openIndex, type IndexWorkerClient } from './index-client.js';
import type { IndexedRef } from './index-types.js';
import { indexRow, through } from './test-support/index-rows.js';

const dirs: string[] = [];
const clients: IndexWorkerClient[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tr-index-'));
  dirs.push(dir);
  return dir;
}

async function open(dir = tempDir(), onError?: (e: Error) => void) {
  const opened = await openIndex({ dir, ...(onError ? { onError } : {}) });
  clients.push(opened.client);
  return { ...opened, dir };
}

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const ids = (refs: IndexedRef[]) => refs.map((r) => r.entryId);
const json = (value: unknown) => ({ bytes: Buffer.from(JSON.stringify(value)), contentType: 'application/json' });

describe('index worker: rows, order, search', () => {
  it('inserts, lists by startedAt then seq, gets, counts and searches', async () => {
    const { client, opened } = await open();
    expect(opened.rebuilt).toBe('missing');
    const rows = [
      indexRow({ seq: 1, startedAt: 3000, url: 'https://shop.example.com/cart/checkout?step=pay' }),
      indexRow({ seq: 2, startedAt: 1000, url: 'https://api.example.com/v1/users/42' }),
      indexRow({ seq: 3, startedAt: 3000, url: 'https://api.example.com/v1/orders' }),
      indexRow({ seq: 4, startedAt: 2000, url: 'https://cdn.example.net/app.js', error: 'connect ECONNREFUSED upstream' }),
    ];
    client.insert(rows, through(rows));
    const page = await client.list('s1', 0, 10);
    expect(page.total).toBe(4);
    expect(page.refs.map((r) => r.seq)).toEqual([2, 4, 1, 3]);
    expect(await client.get('s1', 'e-s1-3')).toEqual({ entryId: 'e-s1-3', seq: 3, loc: { segment: 1, offset: 300, length: 100 } });
    expect(await client.get('s1', 'nope')).toBeUndefined();
    expect(ids(await client.search('s1', 'checkout', 10))).toEqual(['e-s1-1']);
    expect(ids(await client.search('s1', 'step=pay', 10))).toEqual(['e-s1-1']);
    expect(ids(await client.search('s1', 'econnrefused', 10))).toEqual(['e-s1-4']);
    expect(ids(await client.search('s1', 'example', 10))).toEqual(['e-s1-2', 'e-s1-4', 'e-s1-1', 'e-s1-3']);
    expect(ids(await client.search('s1', 'example', 2))).toEqual(['e-s1-2', 'e-s1-4']);
    expect(await client.search('other-session', 'example', 10)).toEqual([]);
  });

  it('answers UUID entry ids (stored packed) exactly as given, and other ids as text', async () => {
    const { client } = await open();
    const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const upper = 'AAAAAAAA-D9CB-469F-A165-70867728950E';
    const rows = [{ ...indexRow({ seq: 1 }), entryId: uuid }, { ...indexRow({ seq: 2 }), entryId: upper }, indexRow({ seq: 3 })];
    client.insert(rows, through(rows));
    expect(ids((await client.list('s1', 0, 10)).refs)).toEqual([uuid, upper, 'e-s1-3']);
    expect((await client.get('s1', uuid))?.seq).toBe(1);
    expect((await client.get('s1', upper))?.seq).toBe(2);
    expect(await client.get('s1', upper.toLowerCase())).toBeUndefined();
    expect(ids(await client.search('s1', 'items', 10))).toEqual([uuid, upper, 'e-s1-3']);
    expect(ids(await client.deleteEntries('s1', [uuid]))).toEqual([uuid]);
    expect((await client.evictThrough('s1', 2)).ids).toEqual([upper]);
  });

  it('pages from either end of the session agree', async () => {
    const { client } = await open();
    const rows = Array.from({ length: 101 }, (_, i) => indexRow({ seq: i + 1, startedAt: 1000 + ((i * 37) % 101) }));
    client.insert(rows, through(rows));
    const all = (await client.list('s1', 0, 1000)).refs.map((r) => r.seq);
    for (const offset of [0, 20, 50, 51, 70, 95, 100, 101, 150]) {
      const page = await client.list('s1', offset, 10);
      expect(page.refs.map((r) => r.seq)).toEqual(all.slice(offset, offset + 10));
      expect(page.total).toBe(101);
    }
    const after = await client.listAfter('s1', { startedAt: 1050, seq: 0 }, 5);
    const start = all.findIndex((seq) => rows[seq - 1]!.startedAt >= 1050);
    expect(after.map((r) => r.seq)).toEqual(all.slice(start, start + 5));
    expect((await client.listAfter('s1', undefined, 3)).map((r) => r.seq)).toEqual(all.slice(0, 3));
  });

  it('matches case-insensitively, every token, the last as a prefix; hostile queries never fail', async () => {
    const { client } = await open();
    const rows = [
      indexRow({ seq: 1, url: 'https://api.example.com/Payments/Refund', headers: 'X-Tenant-Id: Alpha-7731' }),
      indexRow({ seq: 2, url: 'https://api.example.com/payments/capture', responseBody: json({ status: 'Café OK', near: 'or' }) }),
    ];
    client.insert(rows, through(rows));
    expect(ids(await client.search('s1', 'PAYMENTS refund', 10))).toEqual(['e-s1-1']);
    expect(ids(await client.search('s1', 'payments ref', 10))).toEqual(['e-s1-1']);
    expect(ids(await client.search('s1', 'ref payments', 10))).toEqual([]);
    expect(ids(await client.search('s1', 'x-tenant-id: alpha-77', 10))).toEqual(['e-s1-1']);
    expect(ids(await client.search('s1', 'cafe', 10))).toEqual(['e-s1-2']);
    expect(ids(await client.search('s1', 'near or', 10))).toEqual(['e-s1-2']);
    for (const hostile of ['"', '""', "'", '*', '***', '-', '()', '(', ')', 'NEAR', 'OR', 'AND', 'NOT', 'payments OR refund',
      'payments NEAR/2 refund', '-payments', 'payments*', '"payments', '^payments', 'col:payments', 't:payments', '\u0000',
      'payments '.repeat(5000), 'x'.repeat(100_000), '%', '\\', ';DROP TABLE entries;--']) {
      const found = await client.search('s1', hostile, 10);
      expect(Array.isArray(found)).toBe(true);
    }
    expect(await client.search('s1', ' --- *** ((( ', 10)).toEqual([]);
    expect(ids(await client.search('s1', '"payments" OR', 10))).toEqual(['e-s1-2']);
    expect(ids(await client.search('s1', '-payments* (refund)', 10))).toEqual(['e-s1-1']);
  });

  it('indexes the names of secret and per-exchange id headers, never their values', async () => {
    const { client } = await open();
    const headers = ['Authorization: Bearer sekrit-token-4711', 'Cookie: sid=cookiejar99', 'Set-Cookie: sid=setme42; Path=/',
      'Proxy-Authorization: Basic cHJveHlwYXNz', 'X-Request-Id: 0f8fad5b-d9cb-469f-a165-70867728950e',
      'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'ETag: "33a64df551425fcc55e4d42a148795d9f25f89d4"',
      'X-Opaque: Zm9vYmFyYmF6cXV1eDEyMzQ1Njc4OTA', 'Content-Type: application/json', 'X-Tenant: acme-blue'].join('\n');
    const rows = [indexRow({ seq: 1, headers }), indexRow({ seq: 2 })];
    client.insert(rows, through(rows));
    for (const name of ['authorization', 'cookie', 'set-cookie', 'proxy-authorization', 'x-request-id', 'traceparent', 'etag', 'x-opaque']) {
      expect(ids(await client.search('s1', name, 10)), name).toEqual(['e-s1-1']);
    }
    for (const value of ['bearer', 'sekrit', 'cookiejar99', 'setme42', 'chjvehlwyxnz', '0f8fad5b', '70867728950e',
      '4bf92f3577b34da6a3ce929d0e0e4736', '33a64df5', 'zm9vymfy']) {
      expect(await client.search('s1', value, 10), value).toEqual([]);
    }
    expect(ids(await client.search('s1', 'acme-blue', 10))).toEqual(['e-s1-1']);
    expect(ids(await client.search('s1', 'application/json', 10))).toEqual(['e-s1-1', 'e-s1-2']);
  });

  it('searches the decoded text of gzip and Latin-1 bodies', async () => {
    const { client } = await open();
    const rows = [
      indexRow({ seq: 1, responseBody: { bytes: zlib.gzipSync(Buffer.from('{"message":"zebrafish inventory"}')), contentEncoding: 'gzip', contentType: 'application/json' } }),
      indexRow({ seq: 2, requestBody: { bytes: Buffer.from('nom=Fran\xe7oise&ville=S\xe8te', 'latin1'), contentType: 'application/x-www-form-urlencoded; charset=iso-8859-1' } }),
    ];
    client.insert(rows, through(rows));
    expect(ids(await client.search('s1', 'zebrafish', 10))).toEqual(['e-s1-1']);
    expect(ids(await client.search('s1', 'françoise', 10))).toEqual(['e-s1-2']);
    expect(ids(await client.search('s1', 'sete', 10))).toEqual(['e-s1-2']);
  });

  it('makes patched tags and notes searchable and forgets the old notes', async () => {
    const { client } = await open();
    const rows = [indexRow({ seq: 1, notes: 'initial remark' }), indexRow({ seq: 2 })];
    client.insert(rows, through(rows));
    expect(ids(await client.search('s1', 'remark', 10))).toEqual(['e-s1-1']);
    client.patch('s1', 'e-s1-1', { notes: 'flaky upstream' });
    client.patch('s1', 'e-s1-2', { tags: ['regression', 'checkout'] });
    expect(await client.search('s1', 'remark', 10)).toEqual([]);
    expect(ids(await client.search('s1', 'flaky', 10))).toEqual(['e-s1-1']);
    expect(ids(await client.search('s1', 'regression', 10))).toEqual(['e-s1-2']);
    // Tokens of the URL and of the notes combine.
    expect(ids(await client.search('s1', 'items flaky', 10))).toEqual(['e-s1-1']);
    client.patch('s1', 'e-s1-2', { tags: [] });
    expect(await client.search('s1', 'regression', 10)).toEqual([]);
  });
});

describe('index worker: backlog', () => {
  it('counts posted rows until the worker has them, flags a backlog past the limit, and never refuses an insert', async () => {
    const dir = tempDir();
    const { client } = await openIndex({ dir, backlogLimit: 25 });
    clients.push(client);
    expect(client.backlog()).toEqual({ rows: 0, limit: 25, over: false, peak: 0 });
    for (let batch = 0; batch < 3; batch++) {
      const rows = Array.from({ length: 10 }, (_, i) => indexRow({ seq: batch * 10 + i + 1 }));
      client.insert(rows, through(rows));
    }
    expect(client.backlog()).toEqual({ rows: 30, limit: 25, over: true, peak: 30 });
    const stats = await client.stats();
    expect(stats.backlog).toEqual({ rows: 30, limit: 25, over: true, peak: 30 });
    expect(client.backlog()).toEqual({ rows: 0, limit: 25, over: false, peak: 30 });
    expect((await client.list('s1', 0, 100)).total).toBe(30);
  });
});

describe('index worker: eviction and deletion', () => {
  it('answers nthSeq, lowestLiveSegment, maxSeqThroughSegment and evicts through a seq', async () => {
    const { client } = await open();
    // Ten entries per segment, segments 1..3; entry 10 has a body that spills into segment 2.
    const rows = Array.from({ length: 30 }, (_, i) => indexRow({
      seq: i + 1, segment: 1 + Math.floor(i / 10), maxSegment: i === 9 ? 2 : 1 + Math.floor(i / 10), bytes: 10,
      url: `https://api.example.com/seg/${i + 1}?token=tok${i + 1}`,
    }));
    client.insert(rows, through(rows));
    expect(await client.nthSeq('s1', 1)).toBe(1);
    expect(await client.nthSeq('s1', 30)).toBe(30);
    expect(await client.nthSeq('s1', 31)).toBeUndefined();
    expect(await client.lowestLiveSegment('s1')).toBe(1);
    expect(await client.maxSeqThroughSegment('s1', 1)).toBe(9);
    expect(await client.maxSeqThroughSegment('s1', 2)).toBe(20);
    expect(await client.maxSeqThroughSegment('s1', 0)).toBeUndefined();
    const evicted = await client.evictThrough('s1', 10);
    expect(evicted.ids).toEqual(Array.from({ length: 10 }, (_, i) => `e-s1-${i + 1}`));
    expect(evicted.bytes).toBe(100);
    expect(await client.lowestLiveSegment('s1')).toBe(2);
    expect(await client.nthSeq('s1', 1)).toBe(11);
    expect((await client.list('s1', 0, 1)).total).toBe(20);
    expect(await client.search('s1', 'tok5', 10)).toEqual([]);
    expect(ids(await client.search('s1', 'tok15', 10))).toEqual(['e-s1-15']);
    const deleted = await client.deleteEntries('s1', ['e-s1-15', 'missing']);
    expect(ids(deleted)).toEqual(['e-s1-15']);
    expect(await client.search('s1', 'tok15', 10)).toEqual([]);
    expect((await client.list('s1', 0, 1)).total).toBe(19);
  });

  it('drops a whole FTS bucket once eviction passes it', async () => {
    const { client } = await open();
    const { BUCKET_ROWS } = await import('./index-schema.js');
    for (let start = 1; start <= BUCKET_ROWS + 10; start += 5000) {
      const rows = Array.from({ length: Math.min(5000, BUCKET_ROWS + 11 - start) }, (_, i) => indexRow({ seq: start + i, url: `https://a.example/x/${start + i}` }));
      client.insert(rows, through(rows));
    }
    expect((await client.search('s1', `${BUCKET_ROWS + 5}`, 10)).length).toBe(1);
    const evicted = await client.evictThrough('s1', BUCKET_ROWS + 2);
    expect(evicted.ids.length).toBe(BUCKET_ROWS + 2);
    expect(await client.search('s1', '7', 10)).toEqual([]);
    expect(ids(await client.search('s1', 'example', 100))).toEqual(Array.from({ length: 8 }, (_, i) => `e-s1-${BUCKET_ROWS + 3 + i}`));
  });

  it('deletes a session and nothing else', async () => {
    const { client, dir } = await open();
    const rows = [indexRow({ seq: 1, sessionId: 'a', notes: 'shared words' }), indexRow({ seq: 1, sessionId: 'b', notes: 'shared words' })];
    client.insert(rows, through(rows));
    client.deleteSession('a');
    expect(await client.search('a', 'shared', 10)).toEqual([]);
    expect(ids(await client.search('b', 'shared', 10))).toEqual(['e-b-1']);
    expect((await client.list('a', 0, 10)).total).toBe(0);
    await client.close();
    const reopened = await open(dir);
    expect(reopened.opened.counts).toEqual({ b: 1 });
    expect(Object.keys(reopened.opened.watermarks)).toEqual(['b']);
  });
});

describe('index worker: the index file, damage, crashes', () => {
  it('keeps every answered insert when the worker is killed, with its watermarks, counts and search', async () => {
    const { client, dir } = await open();
    const a = Array.from({ length: 20 }, (_, i) => indexRow({ seq: i + 1, sessionId: 'a', segment: 3 }));
    const b = [indexRow({ seq: 1, sessionId: 'b', notes: 'keepsake' })];
    client.insert(a, through(a));
    client.insert(b, through(b));
    // Answered: the rows are committed (no snapshot is taken any more; the worker dies as a kill -9 would end it).
    expect((await client.list('a', 0, 0)).total).toBe(20);
    await client.terminate();
    const reopened = await open(dir);
    expect(reopened.opened.rebuilt).toBeUndefined();
    expect(reopened.opened.counts).toEqual({ a: 20, b: 1 });
    expect(reopened.opened.watermarks).toEqual({ a: { segment: 3, offset: 2100 }, b: { segment: 1, offset: 200 } });
    expect(ids(await reopened.client.search('b', 'keepsake', 10))).toEqual(['e-b-1']);
    const more = [indexRow({ seq: 21, sessionId: 'a' })];
    reopened.client.insert(more, through(more));
    expect((await reopened.client.list('a', 0, 100)).total).toBe(21);
  });

  it('gathers insert batches into one transaction and answers each, a bad one failing alone', async () => {
    const errors: Error[] = [];
    const { client, dir } = await open(undefined, (e) => errors.push(e));
    const batches = Array.from({ length: 5 }, (_, k) => Array.from({ length: 10 }, (_, i) => indexRow({ seq: k * 10 + i + 1 })));
    batches[2] = [...batches[2]!.slice(0, 9), { ...batches[2]![9]!, method: null as unknown as string }];
    for (const rows of batches) client.insert(rows, through(rows));
    expect((await client.list('s1', 0, 0)).total).toBe(40);
    expect(errors).toHaveLength(1);
    expect(client.backlog().rows).toBe(0);
    await client.close();
    const reopened = await open(dir);
    expect(reopened.opened.counts).toEqual({ s1: 40 });
    expect((await reopened.client.nthSeq('s1', 21))).toBe(31);
  });

  it('rebuilds an index of an older schema version (a v3 snapshot) instead of reading it', async () => {
    const dir = tempDir();
    const { loadSqlJs } = await import('../sqljs-loader.js');
    const SQL = await loadSqlJs();
    const old = new SQL.Database();
    old.exec('CREATE TABLE meta (version INTEGER NOT NULL); INSERT INTO meta VALUES (3); CREATE TABLE entries (id INTEGER PRIMARY KEY);');
    fs.writeFileSync(path.join(dir, 'index.db'), old.export());
    old.close();
    const { client, opened } = await open(dir);
    expect(opened.rebuilt).toMatch(/index version 3, expected 4/);
    expect(opened.counts).toEqual({});
    const rows = [indexRow({ seq: 1 })];
    client.insert(rows, through(rows));
    expect((await client.list('s1', 0, 10)).total).toBe(1);
  });

  it('moves a corrupt index.db aside and starts empty', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'index.db'), Buffer.alloc(8192, 0x5a));
    const { client, opened } = await open(dir);
    expect(opened.rebuilt).toMatch(/index\.db unreadable .*moved to index\.db\.corrupt-/);
    expect(opened.counts).toEqual({});
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('index.db.corrupt-'))).toHaveLength(1);
    const rows = [indexRow({ seq: 1 })];
    client.insert(rows, through(rows));
    expect((await client.list('s1', 0, 10)).total).toBe(1);
  });

  it('moves aside an SQLite file that is not an index (damaged pages after a valid header)', async () => {
    const { client, dir } = await open();
    const rows = [indexRow({ seq: 1 })];
    client.insert(rows, through(rows));
    await client.close();
    const file = path.join(dir, 'index.db');
    const bytes = fs.readFileSync(file);
    bytes.fill(0xff, 100);
    fs.writeFileSync(file, bytes);
    const reopened = await open(dir);
    expect(reopened.opened.rebuilt).toMatch(/unreadable/);
  });

  it('rejects every pending call with a clear error when the worker dies, and reports it', async () => {
    const errors: Error[] = [];
    const { client } = await open(undefined, (e) => errors.push(e));
    const rows = Array.from({ length: 2000 }, (_, i) => indexRow({ seq: i + 1 }));
    client.insert(rows, through(rows));
    const pending = [client.search('s1', 'items', 10), client.list('s1', 0, 10), client.nthSeq('s1', 1)];
    await client.terminate();
    for (const call of pending) await expect(call).rejects.toThrow(/index worker exited unexpectedly/);
    await expect(client.get('s1', 'e-s1-1')).rejects.toThrow(/index worker exited unexpectedly/);
    expect(errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/index worker exited unexpectedly/));
  });

  it('forgets the session and host numbers of a failed insert, so later rows of that session survive a reopen', async () => {
    const errors: Error[] = [];
    const { client, dir } = await open(undefined, (e) => errors.push(e));
    const fresh = { sessionId: 'new-s', url: 'https://fresh.example.org/a' };
    const bad = [indexRow({ ...fresh, seq: 1 }), { ...indexRow({ ...fresh, seq: 2 }), method: null as unknown as string }];
    client.insert(bad, through(bad));
    await expect.poll(() => errors.length).toBe(1);
    const good = [indexRow({ ...fresh, seq: 1 })];
    client.insert(good, through(good));
    await client.snapshot();
    await client.terminate();
    const reopened = await open(dir);
    expect(reopened.opened.counts).toEqual({ 'new-s': 1 });
    expect(ids((await reopened.client.list('new-s', 0, 10)).refs)).toEqual(['e-new-s-1']);
    expect(ids(await reopened.client.search('new-s', 'fresh', 10))).toEqual(['e-new-s-1']);
  });

  it('turns a failing call into a rejected promise, and a failing fire-and-forget call into onError', async () => {
    const errors: Error[] = [];
    const { client } = await open(undefined, (e) => errors.push(e));
    const bad = [{ ...indexRow({ seq: 1 }), method: null as unknown as string }];
    client.insert(bad, through(bad));
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]!.message).toMatch(/^index: .*NOT NULL/);
    // The worker carries on.
    const rows = [indexRow({ seq: 1 })];
    client.insert(rows, through(rows));
    expect((await client.list('s1', 0, 10)).total).toBe(1);
  });
});
