import type { BodyInfo, Entry } from '../../../src-shared/model.js';
import { decodeBody, looksTextual } from './body-decode.js';

/** Fill `text` or `base64` (decoded form) into a body's info from its raw captured bytes. */
export function withDecodedBody(info: BodyInfo, raw: Buffer | undefined): BodyInfo {
  if (!raw || raw.length === 0) return { ...info, text: '' };
  const decoded = decodeBody(raw, info.contentEncoding, info.truncated);
  const out: BodyInfo = { ...info };
  if (decoded.error) out.decodeError = decoded.error;
  if (looksTextual(decoded.bytes, info.contentType)) out.text = decoded.bytes.toString('utf8');
  else out.base64 = decoded.bytes.toString('base64');
  return out;
}

export function entryWithBodies(entry: Entry, read: (side: 'request' | 'response') => Buffer | undefined): Entry {
  const out: Entry = { ...entry, request: { ...entry.request, body: withDecodedBody(entry.request.body, read('request')) } };
  if (entry.response) out.response = { ...entry.response, body: withDecodedBody(entry.response.body, read('response')) };
  return out;
}
