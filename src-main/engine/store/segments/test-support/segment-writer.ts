// Child process for the session log's kill -9 test: appends records until killed. Prints `D <i>` once the log's
// durableEnd has passed record i (it is on disk and fsync'd), so the test knows what must survive the kill.
// argv: dir
import { openSessionLog } from '../segment-log.js';
import { RecordType, type RecordLocation } from '../segment-types.js';
import { isBefore, payloadFor } from './segment-fixtures.js';

/** Mostly small records, every tenth a large one, so a kill often lands inside a write. */
export function writerSize(i: number): number {
  return i % 10 === 0 ? 60_000 : 300 + (i % 17) * 50;
}

const dir = process.argv[2];
if (dir) {
  const log = await openSessionLog({ dir, flushMs: 20, segmentBytes: 512 * 1024 });
  const locs: RecordLocation[] = [];
  let durable = -1;
  for (let i = 0; ; i++) {
    locs.push(log.append(RecordType.Entry, payloadFor(i, writerSize(i))));
    if (i % 60 !== 59) continue;
    await new Promise((resolve) => setTimeout(resolve, 1));
    const end = log.durableEnd();
    let next = durable;
    while (next + 1 < locs.length && isBefore({ segment: locs[next + 1]!.segment, offset: locs[next + 1]!.offset + locs[next + 1]!.length }, end)) next++;
    if (next > durable) {
      durable = next;
      process.stdout.write(`D ${durable}\n`);
    }
  }
}
