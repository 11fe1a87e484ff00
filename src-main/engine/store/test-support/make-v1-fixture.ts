/**
 * Writes the v1 (journal + snapshot) data-dir fixture the migration test opens: run once with the store of commit
 * f21d27f, `node --import tsx src-main/engine/store/test-support/make-v1-fixture.ts <out-dir>`; the output is committed
 * under fixtures/v1-data-dir. It has a snapshot AND journal lines after it (the last run "crashed"), two sessions,
 * inline and file bodies, tags/notes, a deleted entry, and a body file that went missing.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { SqlJsStore } from '../sqljs-store.js';
import { makeEntry, makeSession } from './fixtures.js';

const out = process.argv[2];
if (!out) throw new Error('usage: make-v1-fixture.ts <out-dir>');
await fsp.rm(out, { recursive: true, force: true });
const store = await SqlJsStore.open({ dataDir: out, inlineBodyLimit: 1024, snapshotJournalBytes: 20_000 });
store.upsertSession(makeSession('s-alpha', { name: 'alpha', status: 'stopped', stoppedAt: '2024-01-01T01:00:00.000Z', listenPort: 8081 }));
store.upsertSession(makeSession('s-beta', { name: 'beta', listenPort: 8082 }));
const big = Buffer.alloc(5000, 'B');
for (let i = 0; i < 30; i++) {
  const sid = i % 3 === 0 ? 's-beta' : 's-alpha';
  const id = `e${String(i).padStart(3, '0')}`;
  const reqBody = Buffer.from(`{"n":${i},"marker":"needle-${i}"}`);
  const resBody = i % 5 === 0 ? big : Buffer.from(`response body ${i} unique-token-${i}`);
  const entry = makeEntry(sid, id, { startedAt: new Date(1_700_000_000_000 + i * 1000).toISOString() });
  entry.request.body = { size: reqBody.length, capturedSize: reqBody.length, truncated: false, contentType: 'application/json' };
  entry.response!.body = { size: resBody.length, capturedSize: resBody.length, truncated: false, contentType: 'text/plain' };
  store.insertEntry(entry, { request: reqBody, response: resBody });
  if (i === 12) await new Promise((r) => setTimeout(r, 400)); // a snapshot happens in between
}
store.updateEntry('s-alpha', 'e001', { tags: ['login', 'slow'], notes: 'first note' });
store.deleteEntries('s-alpha', ['e002']);
await store.flush();
await new Promise((r) => setTimeout(r, 400));
store.updateEntry('s-beta', 'e003', { notes: 'after the snapshot' });
await store.flush();
// "kill -9": no close(), so the journal is left for the next open to replay.
const files = await fsp.readdir(out, { recursive: true });
console.log(files.sort().join('\n'));
// One large body file is removed: the migration must carry the entry with its body marked lost.
await fsp.rm(path.join(out, 'bodies', 's-alpha', 'e010.response'));
process.exit(0);
