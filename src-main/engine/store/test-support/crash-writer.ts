// Child process for the kill -9 test: inserts entries until killed, printing each id once insertEntry returned.
// argv: dataDir snapshotJournalBytes
import { SqlJsStore } from '../sqljs-store.js';
import { bodyFor, makeEntry, makeSession } from './fixtures.js';

const [dataDir, snapshotBytes] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: crash-writer.ts <dataDir> [snapshotJournalBytes]');
const store = await SqlJsStore.open({
  dataDir,
  ...(snapshotBytes ? { snapshotJournalBytes: Number(snapshotBytes) } : {}),
});
store.upsertSession(makeSession('s1'));

// Mostly inline bodies (12 KB, so snapshots are big and slow enough to be caught mid-write), every 7th a
// 40 KB body that goes to a file.
for (let i = 0; ; i++) {
  const id = `e${i}`;
  const response = bodyFor(id, 'response', i % 7 === 0 ? 40_000 : 12_000);
  store.insertEntry(makeEntry('s1', id), { request: bodyFor(id, 'request', 200), response });
  if (i % 50 === 0 && i > 0) store.updateEntry('s1', `e${i - 50}`, { tags: ['checked'] });
  process.stdout.write(`${id}\n`);
  if (i % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 2));
}
