// Not a test: `node --import tsx src-main/engine/store/test-support/bench-insert.ts [count]`.
// Measures the synchronous cost of insertEntry, which is what the capture path pays.
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqlJsStore } from '../sqljs-store.js';
import { makeEntry, makeSession } from './fixtures.js';

const count = Number(process.argv[2] ?? 20_000);
const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'store-bench-'));
const store = await SqlJsStore.open({ dataDir: dir });
store.upsertSession(makeSession('s1'));
const reqBody = Buffer.from(JSON.stringify({ item: 'x'.repeat(100) }));
const resBody = Buffer.alloc(400, 7);
const entries = Array.from({ length: count }, (_, i) => makeEntry('s1', `e${i}`));
console.log(`entry JSON ${JSON.stringify(entries[0]).length} bytes`);

const batch = 200;
let total = 0;
const batchMs: number[] = [];
for (let i = 0; i < count; i += batch) {
  const start = performance.now();
  for (let j = i; j < Math.min(count, i + batch); j++) store.insertEntry(entries[j]!, { request: reqBody, response: resBody });
  const took = performance.now() - start;
  total += took;
  batchMs.push(took);
  // Let the flush timer and snapshots run as they would in the engine.
  await new Promise((resolve) => setImmediate(resolve));
}
console.log(`insertEntry: ${((total / count) * 1000).toFixed(1)} µs average over ${count}`);
// sql.js keeps the database in an in-memory file that grows by 12.5% at a time, copying itself: those show up here.
const slowest = batchMs.map((ms, i) => ({ ms, at: i * batch })).sort((a, b) => b.ms - a.ms).slice(0, 8);
console.log(`slowest batches of ${batch}: ${slowest.map((b) => `${b.ms.toFixed(0)} ms @${b.at}`).join(', ')}`);
let start = performance.now();
for (let k = 0; k < 1000; k++) store.countEntries('s1');
console.log(`countEntries: ${((performance.now() - start)).toFixed(3)} µs each`);
start = performance.now();
const page = store.listEntries('s1', count - 100, 100);
console.log(`listEntries(100 at end): ${(performance.now() - start).toFixed(2)} ms, total ${page.total}`);
start = performance.now();
await store.close();
console.log(`close (snapshot): ${(performance.now() - start).toFixed(0)} ms; db ${(await fsp.stat(path.join(dir, 'recorder.db'))).size} bytes`);
start = performance.now();
const again = await SqlJsStore.open({ dataDir: dir });
console.log(`reopen: ${(performance.now() - start).toFixed(0)} ms, ${again.countEntries('s1')} entries`);
await again.close();
await fsp.rm(dir, { recursive: true, force: true });
