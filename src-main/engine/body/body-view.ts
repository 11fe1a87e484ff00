import type { BodyInfo, Entry, HeaderPair } from '../../../src-shared/model.js';
import { decodeText } from './body-charset.js';
import { decodeBody, looksTextual } from './body-decode.js';

/** Fill `text` (with its `charset`) or `base64` (decoded form) into a body's info from its raw captured bytes. */
export function withDecodedBody(info: BodyInfo, raw: Buffer | undefined): BodyInfo {
  // Gone bytes (lost or dropped) are not an empty body: no text that could pass for one.
  if ((!raw || raw.length === 0) && (info.lost || info.dropped)) return { ...info };
  if (!raw || raw.length === 0) return { ...info, text: '' };
  const decoded = decodeBody(raw, info.contentEncoding, info.truncated);
  const out: BodyInfo = { ...info };
  const problems = decoded.error ? [decoded.error] : [];
  if (looksTextual(decoded.bytes, info.contentType)) {
    const text = decodeText(decoded.bytes, info.contentType);
    out.text = text.text;
    out.charset = text.charset;
    if (text.note) problems.push(text.note);
  } else {
    out.base64 = decoded.bytes.toString('base64');
  }
  if (problems.length > 0) out.decodeError = problems.join('; ');
  return out;
}

/**
 * Every Content-Encoding line of a head, combined as RFC 9110 §5.3 combines a list field: two lines `gzip` and
 * `br` mean `gzip, br`. Entries recorded so far carry only the first line in `contentEncoding`.
 */
export function contentEncodingOf(headers: readonly HeaderPair[]): string | undefined {
  const values: string[] = [];
  for (const [name, value] of headers) if (name.toLowerCase() === 'content-encoding' && value.trim()) values.push(value.trim());
  return values.length > 0 ? values.join(', ') : undefined;
}

function sideBody(body: BodyInfo, headers: readonly HeaderPair[], raw: Buffer | undefined): BodyInfo {
  const encoding = contentEncodingOf(headers) ?? body.contentEncoding;
  const info = encoding === body.contentEncoding ? body : { ...body, contentEncoding: encoding };
  return withDecodedBody(info, raw);
}

export function entryWithBodies(entry: Entry, read: (side: 'request' | 'response') => Buffer | undefined): Entry {
  const out: Entry = { ...entry, request: { ...entry.request, body: sideBody(entry.request.body, entry.request.headers, read('request')) } };
  if (entry.response) out.response = { ...entry.response, body: sideBody(entry.response.body, entry.response.headers, read('response')) };
  return out;
}

/**
 * A side's body with its content-encodings undone and nothing else: a text body keeps its own charset, so the bytes
 * still match the recorded Content-Type (the `?decoded=1` body endpoint should serve these).
 */
export function decodedBodyBytes(entry: Entry, side: 'request' | 'response', raw: Buffer): Buffer {
  const part = side === 'request' ? entry.request : entry.response;
  if (!part || raw.length === 0) return raw;
  const encoding = contentEncodingOf(part.headers) ?? part.body.contentEncoding;
  return decodeBody(raw, encoding, part.body.truncated).bytes;
}
