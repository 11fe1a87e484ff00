// Child process for the v2 kill -9 test: inserts entries until killed. Prints each index once insertEntries
// returned, and `D <index>` once a flush that started after that insert finished: everything up to it is durable.
// argv: dataDir
import { SegmentStore } from '../segment-store.js';
import { bodyFor, makeEntry, makeSession } from './fixtures.js';

const [dataDir] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: crash-writer-v2.ts <dataDir>');
const store = await SegmentStore.open({ dataDir, flushMs: 50, segmentBytes: 512 * 1024, onWarning: () => undefined });
store.upsertSession(makeSession('s1'));

let flushing = false;
for (let i = 0; ; i++) {
  const id = `e${i}`;
  const response = bodyFor(id, 'response', i % 7 === 0 ? 40_000 : 3_000);
  const entry = makeEntry('s1', id, { startedAt: new Date(1_700_000_000_000 + i).toISOString() });
  entry.response!.body = { size: response.length, capturedSize: response.length, truncated: false };
  store.insertEntries([{ entry, bodies: { request: bodyFor(id, 'request', 200), response } }]);
  process.stdout.write(`${i}\n`);
  if (!flushing && i % 20 === 19) {
    flushing = true;
    const upTo = i;
    void store.flush().then(() => {
      process.stdout.write(`D ${upTo}\n`);
      flushing = false;
    });
  }
  if (i % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 1));
}
