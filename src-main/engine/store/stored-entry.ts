/**
 * What an Entry record of a session log holds, and the index row built from it. Shared by live inserts, the
 * replay of a log into the index after a reopen, and the v1 migration, so all three index the same way.
 */
import type { BodyInfo, Entry, HeaderPair } from '../../../src-shared/model.js';
import { contentEncodingOf } from '../body/body-view.js';
import type { IndexRow, RawBodyForSearch } from './index/index-types.js';
import { BODY_BYTES_BOUND } from './index/search-text.js';
import type { RecordLocation } from './segments/segment-types.js';
import type { BodySide } from './store-types.js';

/** One side's bytes: a Body record of the same log, or a file beside it that a proxy worker wrote. */
export type BodyRef = { loc: RecordLocation } | { external: number };

export interface StoredEntry {
  seq: number;
  /** Without decoded bodies (`text`/`base64`): those are derived from the raw bytes on read. */
  entry: Entry;
  bodies?: { request?: BodyRef; response?: BodyRef };
}

/** Identity bodies are searched by a prefix (the worker indexes about 1 KiB of text; 2 KiB of bytes covers UTF-16); compressed ones only when small enough to decode whole in the worker. */
const SEARCH_PREFIX_BYTES = BODY_BYTES_BOUND;
const SEARCH_COMPRESSED_MAX = 64 * 1024;

function stripBody(body: BodyInfo): BodyInfo {
  if (body.text === undefined && body.base64 === undefined) return body;
  const { text: _text, base64: _base64, ...rest } = body;
  return rest;
}

/** Decoded bodies are derived data (and could be large): the log keeps raw bytes only. */
export function stripEntry(entry: Entry): Entry {
  const req = stripBody(entry.request.body);
  const res = entry.response && stripBody(entry.response.body);
  if (req === entry.request.body && res === entry.response?.body) return entry;
  const stripped: Entry = { ...entry, request: { ...entry.request, body: req } };
  if (entry.response && res) stripped.response = { ...entry.response, body: res };
  return stripped;
}

export function sideInfo(entry: Entry, side: BodySide): BodyInfo | undefined {
  return side === 'request' ? entry.request.body : entry.response?.body;
}

function headerValue(headers: readonly HeaderPair[], name: string): string | undefined {
  for (const [k, v] of headers) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** The first `max` bytes of a body that may come as chunks, copied (it is posted to the worker) and never joined whole. */
function prefixOf(chunks: readonly Buffer[], max: number): Uint8Array {
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(Math.min(max, length));
  let at = 0;
  for (const c of chunks) {
    if (at >= out.length) break;
    const part = c.subarray(0, out.length - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function searchBody(body: Buffer | readonly Buffer[] | undefined, headers: readonly HeaderPair[], info: BodyInfo | undefined): RawBodyForSearch | undefined {
  const chunks = body === undefined ? [] : Buffer.isBuffer(body) ? [body] : (body);
  const length = chunks.reduce((n, c) => n + c.length, 0);
  if (length === 0 || !info) return undefined;
  const contentEncoding = contentEncodingOf(headers) ?? info.contentEncoding;
  const contentType = info.contentType ?? headerValue(headers, 'content-type');
  const encoded = contentEncoding !== undefined && !/^\s*identity\s*$/i.test(contentEncoding);
  // A compressed body can only be decoded whole: searched when small, else by its URL and headers alone.
  if (encoded && length > SEARCH_COMPRESSED_MAX) return undefined;
  const bytes = prefixOf(chunks, encoded ? length : SEARCH_PREFIX_BYTES);
  return { bytes, ...(encoded ? { contentEncoding } : {}), ...(contentType ? { contentType } : {}) };
}

function headerLines(entry: Entry): string {
  const lines: string[] = [];
  for (const [k, v] of entry.request.headers) lines.push(`${k}: ${v}`);
  for (const [k, v] of entry.response?.headers ?? []) lines.push(`${k}: ${v}`);
  return lines.join('\n');
}

function urlParts(url: string): { host: string; path: string } {
  try {
    const parsed = new URL(url);
    return { host: parsed.host, path: `${parsed.pathname}${parsed.search}` };
  } catch {
    return { host: '', path: url };
  }
}

export interface RowPlacement {
  loc: RecordLocation;
  maxSegment: number;
  minSegment: number;
  bytes: number;
  externalBodies: boolean;
}

/** Where an entry's records are in its log, and what they weigh (its own record plus its bodies). */
export function placementOf(stored: StoredEntry, loc: RecordLocation): RowPlacement {
  let bytes = loc.length;
  let minSegment = loc.segment;
  let externalBodies = false;
  for (const ref of [stored.bodies?.request, stored.bodies?.response]) {
    if (!ref) continue;
    if ('loc' in ref) {
      bytes += ref.loc.length;
      minSegment = Math.min(minSegment, ref.loc.segment);
    } else {
      bytes += ref.external;
      externalBodies = true;
    }
  }
  // Bodies are appended just before their entry record: the entry's segment is the highest, a body's may be lower.
  return { loc, maxSegment: loc.segment, minSegment, bytes, externalBodies };
}

/** The index row of an entry, with the raw body bytes (bounded) the worker decodes for search. */
export function indexRowOf(stored: StoredEntry, place: RowPlacement, bodies: { request?: Buffer | readonly Buffer[]; response?: Buffer | readonly Buffer[] }): IndexRow {
  const { entry } = stored;
  const { host, path } = urlParts(entry.request.url);
  const requestBody = searchBody(bodies.request, entry.request.headers, entry.request.body);
  const responseBody = entry.response ? searchBody(bodies.response, entry.response.headers, entry.response.body) : undefined;
  return {
    sessionId: entry.sessionId,
    entryId: entry.id,
    seq: stored.seq,
    startedAt: Date.parse(entry.startedAt) || 0,
    method: entry.request.method,
    host,
    path,
    ...(entry.response ? { status: entry.response.statusCode } : {}),
    entryType: entry.entryType,
    requestSize: entry.request.body.size,
    responseSize: entry.response?.body.size ?? 0,
    durationMs: entry.durationMs,
    tags: entry.tags,
    notes: entry.notes,
    loc: place.loc,
    maxSegment: place.maxSegment,
    minSegment: place.minSegment,
    bytes: place.bytes,
    externalBodies: place.externalBodies,
    search: {
      url: entry.request.url,
      headers: headerLines(entry),
      ...(entry.error?.message ? { error: entry.error.message } : {}),
      ...(requestBody ? { requestBody } : {}),
      ...(responseBody ? { responseBody } : {}),
    },
  };
}

/** The entry as the API shows it: the log's copy with the index's later tags, notes and lost marks laid over it. */
export function overlay(entry: Entry, patch: EntryPatch | undefined): Entry {
  if (!patch) return entry;
  const out: Entry = { ...entry };
  if (patch.tags !== undefined) out.tags = patch.tags;
  if (patch.notes !== undefined) out.notes = patch.notes;
  for (const side of patch.lost ?? []) {
    const info = sideInfo(out, side);
    if (!info) continue;
    out.bodyLost = true;
    if (side === 'request') out.request = { ...out.request, body: { ...info, lost: true } };
    else if (out.response) out.response = { ...out.response, body: { ...info, lost: true } };
  }
  return out;
}

/** What changed about an entry after it was recorded (a Patch record of the log). */
export interface EntryPatch {
  tags?: string[];
  notes?: string;
  lost?: BodySide[];
}

export function mergePatch(base: EntryPatch | undefined, next: EntryPatch): EntryPatch {
  const out: EntryPatch = { ...base };
  if (next.tags !== undefined) out.tags = [...next.tags];
  if (next.notes !== undefined) out.notes = next.notes;
  if (next.lost) out.lost = [...new Set([...(base?.lost ?? []), ...next.lost])];
  return out;
}
