/** Index rows for tests and the scale measurement: realistic URLs, headers and JSON bodies. */
import type { IndexRow, RawBodyForSearch } from '../index-types.js';

export interface RowSpec {
  sessionId?: string;
  seq: number;
  startedAt?: number;
  url?: string;
  headers?: string;
  error?: string;
  tags?: string[];
  notes?: string;
  requestBody?: RawBodyForSearch;
  responseBody?: RawBodyForSearch;
  segment?: number;
  maxSegment?: number;
  bytes?: number;
}

export function indexRow(spec: RowSpec): IndexRow {
  const url = spec.url ?? `https://api.example.com/v1/items/${spec.seq}?page=2&sort=desc`;
  const parsed = new URL(url);
  const segment = spec.segment ?? 1;
  return {
    sessionId: spec.sessionId ?? 's1',
    entryId: `e-${spec.sessionId ?? 's1'}-${spec.seq}`,
    seq: spec.seq,
    startedAt: spec.startedAt ?? 1_700_000_000_000 + spec.seq,
    method: 'GET',
    host: parsed.host,
    path: parsed.pathname,
    status: 200,
    entryType: 'http',
    requestSize: 0,
    responseSize: spec.responseBody?.bytes.length ?? 0,
    durationMs: 12.5,
    tags: spec.tags ?? [],
    notes: spec.notes ?? '',
    loc: { segment, offset: spec.seq * 100, length: 100 },
    maxSegment: spec.maxSegment ?? segment,
    bytes: spec.bytes ?? 100,
    externalBodies: false,
    search: {
      url,
      headers: spec.headers ?? 'Host: api.example.com\nAccept: application/json\nContent-Type: application/json; charset=utf-8',
      ...(spec.error ? { error: spec.error } : {}),
      ...(spec.requestBody ? { requestBody: spec.requestBody } : {}),
      ...(spec.responseBody ? { responseBody: spec.responseBody } : {}),
    },
  };
}

export function through(rows: IndexRow[]): Record<string, { segment: number; offset: number }> {
  const out: Record<string, { segment: number; offset: number }> = {};
  for (const row of rows) out[row.sessionId] = { segment: row.loc.segment, offset: row.loc.offset + row.loc.length };
  return out;
}
