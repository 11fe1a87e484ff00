/**
 * Header values as people read them, without losing the bytes. Node hands header values over as Latin-1 strings,
 * one character per wire byte, so a UTF-8 value such as `Zoë` arrives as `ZoÃ«`. A recorded value that is not all
 * ASCII becomes text (UTF-8 when its bytes are valid UTF-8, else Latin-1, the historical HTTP charset RFC 9110 §5.5
 * still mentions) and its exact bytes go, as base64, into the side's `rawHeaderValues` under the header's index, so
 * export and replay can send them again. ASCII values, the common case, cost one scan and no allocation.
 */
import type { Entry, HeaderPair, RawHeaderValues } from '../../../src-shared/model.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}

function utf8Text(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A wire value (a Latin-1 string as Node gives it) as text. */
export function headerText(wire: string): string {
  return isAscii(wire) ? wire : (utf8Text(Buffer.from(wire, 'latin1')) ?? wire);
}

export interface RecordedHeaders {
  headers: HeaderPair[];
  /** Absent when every value is ASCII. */
  rawHeaderValues?: RawHeaderValues;
}

/** Recorded headers for wire headers; the same array, and no raw values, when every value is ASCII. */
export function headersFromWire(wire: HeaderPair[]): RecordedHeaders {
  let ascii = true;
  for (let i = 0; ascii && i < wire.length; i++) ascii = isAscii(wire[i]![1]);
  if (ascii) return { headers: wire };
  const raw: RawHeaderValues = {};
  const headers = wire.map(([name, value], i): HeaderPair => {
    if (isAscii(value)) return [name, value];
    raw[i] = Buffer.from(value, 'latin1').toString('base64');
    return [name, headerText(value)];
  });
  return { headers, rawHeaderValues: raw };
}

/** The exact bytes header `index` had on the wire. */
export function headerBytes(recorded: RecordedHeaders, index: number): Buffer {
  const raw = recorded.rawHeaderValues?.[index];
  return raw !== undefined ? Buffer.from(raw, 'base64') : Buffer.from(recorded.headers[index]?.[1] ?? '', 'latin1');
}

/** The headers as Node must be given them to write the recorded bytes again (Latin-1 strings). */
export function headersForWire(recorded: RecordedHeaders): HeaderPair[] {
  if (!recorded.rawHeaderValues) return recorded.headers;
  return recorded.headers.map(([name], i): HeaderPair => [name, headerBytes(recorded, i).toString('latin1')]);
}

function asText<T extends RecordedHeaders>(side: T): void {
  const recorded = headersFromWire(side.headers);
  if (!recorded.rawHeaderValues) return;
  side.headers = recorded.headers;
  side.rawHeaderValues = recorded.rawHeaderValues;
}

function trailersAsText(side: { trailers?: HeaderPair[]; rawTrailerValues?: RawHeaderValues }): void {
  if (!side.trailers) return;
  const recorded = headersFromWire(side.trailers);
  if (!recorded.rawHeaderValues) return;
  side.trailers = recorded.headers;
  side.rawTrailerValues = recorded.rawHeaderValues;
}

/** Every header list of a freshly built entry as text (called once per entry, where it is built). */
export function entryHeadersAsText(entry: Entry): void {
  asText(entry.request);
  trailersAsText(entry.request);
  if (entry.response) {
    asText(entry.response);
    trailersAsText(entry.response);
    for (const interim of entry.response.interim ?? []) asText(interim);
  }
  if (entry.upstreamRequest) asText(entry.upstreamRequest);
}
