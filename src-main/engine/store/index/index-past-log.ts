/**
 * Rows the index committed for records its session log does not hold (index-db.ts, `dropPastLog`). The store posts
 * an entry's row as soon as its record is queued, and the worker commits within 200 ms, while the log writes and
 * fsyncs every 250 ms: a kill -9 in between leaves rows (and a watermark) past the log's end once its torn tail is
 * cut. Left there, they are counted but cannot be read, and the next records appended at the cut would land under
 * them (and the replay, starting at the stale watermark, would skip those records).
 */
import type { SqlValue } from 'sql.js';
import type { RecordLocation } from '../segments/segment-types.js';
import type { LogExtent } from './index-types.js';
import type { SqlStatements } from './sql-statements.js';

/** Rows are read from the newest end in pages of this many. */
const PAGE = 256;

/** A row of the rows past the log: id, entry_id, tags, notes. */
export type PastRow = [id: SqlValue, entryId: SqlValue, tags: SqlValue, notes: SqlValue];

export function isPastLog(loc: RecordLocation, sizes: ReadonlyMap<number, number>): boolean {
  const bytes = sizes.get(loc.segment);
  return bytes === undefined || loc.offset + loc.length > bytes;
}

/**
 * The session's rows whose entry record lies past what its log holds. A session's records are appended in seq order
 * (see IndexQueries.lowestLiveSegment), so these are its newest rows: they are read from the top of the seq index
 * down to the first row the log holds, never the whole session.
 */
export function rowsPastLog(sql: SqlStatements, session: number, extent: LogExtent): PastRow[] {
  const sizes = new Map(extent.segments.map((s) => [s.segment, s.bytes]));
  const past: PastRow[] = [];
  let below = Number.MAX_SAFE_INTEGER;
  for (;;) {
    const page = sql.all('SELECT id, entry_id, tags, notes, seq, seg, off, len FROM entries WHERE session = ? AND seq < ? ORDER BY seq DESC LIMIT ?', [session, below, PAGE]);
    for (const row of page) {
      const loc = { segment: Number(row[5]), offset: Number(row[6]), length: Number(row[7]) };
      if (!isPastLog(loc, sizes)) return past;
      past.push([row[0]!, row[1]!, row[2]!, row[3]!]);
    }
    if (page.length < PAGE) return past;
    below = Number(page[page.length - 1]![4]);
  }
}

/** The session's watermark, brought back to the log's end when it lies past it; answers it when it was moved. */
export function clampWatermark(sql: SqlStatements, sessionId: string, end: LogExtent['end']): LogExtent['end'] | undefined {
  const row = sql.first('SELECT segment, offset FROM watermarks WHERE session = ?', [sessionId]);
  if (!row) return undefined;
  const segment = Number(row[0]);
  const offset = Number(row[1]);
  if (segment < end.segment || (segment === end.segment && offset <= end.offset)) return undefined;
  sql.run('UPDATE watermarks SET segment = ?, offset = ? WHERE session = ?', [end.segment, end.offset, sessionId]);
  return { ...end };
}
