// Child process for the kill -9 test: inserts entries until killed. Prints each id once insertEntry returned, and
// `D <id>` once the store reports a save that started after that id was printed: everything up to it is durable.
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

/** Ids printed but not yet known durable, with when they were printed. */
const unconfirmed: { id: string; at: number }[] = [];
let lastSavedAt: string | undefined;

function reportDurable(): void {
  const savedAt = store.storageStatus().savedAt;
  if (savedAt === undefined || savedAt === lastSavedAt) return;
  lastSavedAt = savedAt;
  // Strictly before: an insert in the same millisecond as the save's start may have missed it.
  const savedMs = Date.parse(savedAt);
  let durable: string | undefined;
  while (unconfirmed.length > 0 && unconfirmed[0]!.at < savedMs) durable = unconfirmed.shift()!.id;
  if (durable) process.stdout.write(`D ${durable}\n`);
}

// Mostly inline bodies (12 KB, so snapshots are big and slow enough to be caught mid-write), every 7th a
// 40 KB body that goes to a file.
for (let i = 0; ; i++) {
  const id = `e${i}`;
  const response = bodyFor(id, 'response', i % 7 === 0 ? 40_000 : 12_000);
  store.insertEntry(makeEntry('s1', id), { request: bodyFor(id, 'request', 200), response });
  if (i % 50 === 0 && i > 0) store.updateEntry('s1', `e${i - 50}`, { tags: ['checked'] });
  process.stdout.write(`${id}\n`);
  unconfirmed.push({ id, at: Date.now() });
  if (i % 5 === 4) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    reportDurable();
  }
}
