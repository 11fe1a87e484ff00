/**
 * How entries are keyed and located in the index database (index-db.ts): entry ids as stored, and the columns a
 * query returns for an entry's place in its log.
 */
import type { SqlValue } from 'sql.js';
import type { IndexedRef } from './index-types.js';

export const REF_COLUMNS = 'e.entry_id, e.seq, e.seg, e.off, e.len';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Entry ids are stored as 16-byte blobs when they are lowercase UUIDs (what the recorder makes), as text otherwise:
 * 20 bytes less in the row and again in its unique index. Only the canonical form is packed, so it round-trips.
 */
export function idKey(entryId: string): string | Uint8Array {
  return UUID.test(entryId) ? Buffer.from(entryId.replace(/-/g, ''), 'hex') : entryId;
}

export function idString(value: SqlValue | undefined): string {
  if (!(value instanceof Uint8Array)) return String(value);
  const hex = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A row of REF_COLUMNS. */
export function toRef(row: SqlValue[]): IndexedRef {
  return {
    entryId: idString(row[0]),
    seq: Number(row[1]),
    loc: { segment: Number(row[2]), offset: Number(row[3]), length: Number(row[4]) },
  };
}

/** The query string is searchable through the FTS text; filters match paths without it (as the UI's path: does). */
export function pathOnly(path: string): string {
  const query = path.indexOf('?');
  return query < 0 ? path : path.slice(0, query);
}
