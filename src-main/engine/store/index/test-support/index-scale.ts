/**
 * The index at scale (not part of npm test): inserts N rows (default 1,000,000) with realistic URLs and headers and
 * 2 KB JSON bodies given as 1 KiB prefixes, then measures memory, search, last page, a checkpoint and reopen.
 *   node --import tsx src-main/engine/store/index/test-support/index-scale.ts [rows]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { openIndex } from '../index-client.js';
import type { IndexRow } from '../index-types.js';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const BATCH = 1000;
const UNIQUE = 'zanzibarquokka';
const MiB = 1024 * 1024;

const RESOURCES = ['users', 'orders', 'payments', 'invoices', 'products', 'carts', 'sessions', 'events', 'search', 'reports'];
const HOSTS = ['api.example.com', 'auth.example.com', 'cdn.example.net', 'payments.stripe.test', 'graphql.shop.test'];

function body(seq: number): Buffer {
  const items = Array.from({ length: 12 }, (_, i) => ({
    id: `${seq}-${i}`, sku: `SKU-${(seq * 7 + i) % 9973}`, name: `Item ${(seq + i) % 500} deluxe`, price: ((seq + i) % 1000) / 10,
    updatedAt: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
  }));
  const text = JSON.stringify({ requestId: randomUUID(), note: seq === Math.floor(ROWS * 0.777) ? UNIQUE : 'ok', page: seq % 50, items });
  return Buffer.from(text.padEnd(2048, ' ')).subarray(0, 1024);
}

function row(seq: number): IndexRow {
  const resource = RESOURCES[seq % RESOURCES.length]!;
  const host = HOSTS[seq % HOSTS.length]!;
  const url = `https://${host}/v2/${resource}/${seq}/details?include=items,customer&page=${seq % 50}&trace=${randomUUID()}`;
  const headers = [
    `host: ${host}`, 'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36',
    'accept: application/json', 'accept-encoding: gzip, deflate, br', `authorization: Bearer ${randomUUID()}`,
    `x-request-id: ${randomUUID()}`, `cookie: sid=${randomUUID()}; theme=dark`, 'content-type: application/json; charset=utf-8',
    `date: ${new Date(1_700_000_000_000 + seq * 1000).toUTCString()}`, 'server: nginx/1.25.3', 'cache-control: no-store',
  ].join('\n');
  return {
    sessionId: 'scale', entryId: randomUUID(), seq, startedAt: 1_700_000_000_000 + seq * 3, method: seq % 5 ? 'GET' : 'POST',
    host, path: `/v2/${resource}/${seq}/details`, status: 200, entryType: 'http', requestSize: 0, responseSize: 2048,
    durationMs: 20, tags: [], notes: '', loc: { segment: 1 + Math.floor(seq / 10_000), offset: (seq % 10_000) * 2200, length: 2200 },
    maxSegment: 1 + Math.floor(seq / 10_000), bytes: 2200, externalBodies: false,
    search: { url, headers, responseBody: { bytes: body(seq), contentType: 'application/json' } },
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tr-index-scale-'));
  const rssBefore = process.memoryUsage().rss;
  const { client } = await openIndex({ dir, onError: (e) => console.error(e) });
  const base = await client.stats();
  const start = performance.now();
  for (let seq = 1; seq <= ROWS; seq += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, ROWS - seq + 1) }, (_, i) => row(seq + i));
    client.insert(rows, { scale: { segment: rows.at(-1)!.loc.segment, offset: rows.at(-1)!.loc.offset + 2200 } });
    // Wait for the worker now and then, so the measurement is of indexing, not of a growing message queue.
    if ((seq - 1) % (BATCH * 20) === 0) await client.nthSeq('scale', 1);
    if ((seq - 1 + BATCH) % 100_000 === 0) {
      const s = await client.stats();
      console.log(`${seq - 1 + BATCH} rows: ${((seq - 1 + BATCH) / ((performance.now() - start) / 1000)).toFixed(0)} rows/s, rss ${((s.rss - rssBefore) / MiB).toFixed(0)} MiB, index pages ${(s.dbBytes.used / MiB).toFixed(0)} MiB (+${(s.dbBytes.free / MiB).toFixed(0)} free)`);
    }
  }
  await client.nthSeq('scale', 1);
  const insertS = (performance.now() - start) / 1000;
  const after = await client.stats();
  const unique = await timed(() => client.search('scale', UNIQUE, 100));
  const common = await timed(() => client.search('scale', 'application', 100));
  const common2 = await timed(() => client.search('scale', 'payments deluxe', 100));
  const last = await timed(() => client.list('scale', ROWS - 100, 100));
  const first = await timed(() => client.list('scale', 0, 100));
  // The stall: how long a query sent right behind a checkpoint (the WAL folded into index.db) waits.
  const snapshotting = client.snapshot();
  const stall = await timed(() => client.nthSeq('scale', 1));
  const snap = await timed(() => snapshotting);
  const size = fs.statSync(path.join(dir, 'index.db')).size;
  await client.close();
  const reopen = await timed(() => openIndex({ dir }));
  const reopened = await reopen.value.client.stats();
  const again = await timed(() => reopen.value.client.search('scale', UNIQUE, 100));
  await reopen.value.client.close();
  console.table({
    rows: ROWS, 'rows/s': Math.round(ROWS / insertS),
    'rss delta MiB': Math.round((after.rss - rssBefore) / MiB), 'index pages MiB': Math.round(after.dbBytes.used / MiB),
    'free pages MiB': Math.round(after.dbBytes.free / MiB), 'rss at open MiB': Math.round((base.rss - rssBefore) / MiB),
    'search unique ms': Math.round(unique.ms), 'unique hits': unique.value.length,
    'search common ms': Math.round(common.ms), 'common hits': common.value.length, 'search 2 common tokens ms': Math.round(common2.ms),
    'last page ms': Math.round(last.ms), 'first page ms': Math.round(first.ms), 'checkpoint stall ms': Math.round(stall.ms), 'checkpoint after stall ms': Math.round(snap.ms),
    'index bytes/row': Math.round(after.dbBytes.used / ROWS),
    'index.db MiB': Math.round(size / MiB), 'open ms': Math.round(reopen.ms), 'rss after open MiB': Math.round((reopened.rss - rssBefore) / MiB),
    'search unique after open ms': Math.round(again.ms),
  });
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
