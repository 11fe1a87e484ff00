/**
 * Scanning a session log in order (segment-log.ts): the written part of each segment in big chunks, then what is
 * still queued. Used by the store's open (replay into the index) and by a rebuild, while appends go on.
 */
import { errorMessage } from '../fs-util.js';
import { CHUNK_BYTES, damagedMessage, readBatch } from './segment-decode.js';
import { findPending, pendingToRecord, segmentFileName, type Segment } from './segment-file.js';
import type { ReadHandles } from './segment-io.js';
import type { LogRecord } from './segment-types.js';

/** What a scan reads of its log: live, since segments come and go while it runs. */
export interface ScanView {
  readonly dir: string;
  readonly segs: ReadonlyMap<number, Segment>;
  readonly readers: ReadHandles;
  isClosed(): boolean;
  warn(message: string): void;
}

export async function* scanLog(view: ScanView, from?: { segment: number; offset: number }): AsyncGenerator<LogRecord> {
  const first = from?.segment ?? -1;
  // Looked up afresh after each segment: appends may rotate to a new one while the scan runs.
  for (let number = nextSegmentFrom(view, first); number !== undefined; number = nextSegmentFrom(view, number + 1)) {
    yield* scanSegment(view, number, number === first ? (from?.offset ?? 0) : 0);
  }
}

function nextSegmentFrom(view: ScanView, number: number): number | undefined {
  let best: number | undefined;
  for (const n of view.segs.keys()) if (n >= number && (best === undefined || n < best)) best = n;
  return best;
}

/**
 * Reads the written part in big chunks, then serves what is still queued. Payloads read from the file are views
 * into a shared chunk: a consumer that keeps one for long should copy it. Flushes may move records from the
 * queue to the file meanwhile, so where the next record lives is decided again before each one.
 */
async function* scanSegment(view: ScanView, number: number, start: number): AsyncGenerator<LogRecord> {
  let pos = start;
  let sinceBreak = 0;
  for (;;) {
    const seg = view.segs.get(number);
    if (!seg || view.isClosed()) return;
    if (pos < seg.written) {
      const batch = await readBatch(seg, pos, view.readers).catch((error: unknown) => {
        // A segment deleted under the scan simply ends it; a vanished file ends it with a warning (a rebuild
        // should still get the other segments).
        if (!view.segs.has(number)) return undefined;
        if ((error as { code?: string })?.code !== 'RECORD_MISSING') throw error;
        view.warn(`session log ${view.dir}: ${errorMessage(error)}; the rest of ${segmentFileName(number)} is skipped`);
        return undefined;
      });
      if (!batch) return;
      for (const d of batch.damaged) view.warn(`session log ${view.dir}: ${damagedMessage(number, d)}`);
      for (const record of batch.records) yield record;
      pos = batch.next;
      if (batch.bad !== undefined) {
        view.warn(`session log ${view.dir}: ${segmentFileName(number)} has a bad record at offset ${pos} (${batch.bad}); the rest of that segment is skipped`);
        return;
      }
      continue;
    }
    const record = findPending(seg, pos);
    if (!record) return;
    yield pendingToRecord(seg, record);
    pos += record.length;
    // Yields of queued records are microtasks only: give timers and I/O a turn now and then.
    sinceBreak += record.length;
    if (sinceBreak >= CHUNK_BYTES) {
      sinceBreak = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
