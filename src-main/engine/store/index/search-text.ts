/**
 * What the index tokenizes for an entry, and how a user's query becomes an FTS4 MATCH expression.
 * Tokens follow FTS4's unicode61 tokenizer: runs of letters, digits and marks; case and diacritics folded.
 */
import { decodeBody, looksTextual } from '../../body/body-decode.js';
import { decodeText } from '../../body/body-charset.js';
import type { RawBodyForSearch, SearchText } from './index-types.js';

/** Decoded text indexed per body. Chosen from the 1M-row measurement (index-scale.ts). */
export const BODY_TEXT_BOUND = 1024;
/** A longer query cannot be more selective in practice, and each token costs a term lookup per bucket. */
export const MAX_QUERY_TOKENS = 32;
/** A decompressed prefix is cut here before charset decoding: the bound is on text, this bounds the work. */
const DECODED_BYTES_BOUND = BODY_TEXT_BOUND * 4;

const TOKEN = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;
const MARKS = /\p{M}+/gu;

export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(TOKEN)) {
    const folded = match[0].normalize('NFD').replace(MARKS, '').toLowerCase();
    if (folded) out.push(folded);
  }
  return out;
}

/** The text of one body, decoded (content-encoding, then charset) and cut to the bound; '' for binary bodies. */
export function bodyText(body: RawBodyForSearch | undefined): string {
  if (!body || body.bytes.length === 0) return '';
  const raw = Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength);
  // The caller passes a prefix, so decode leniently: a cut compressed stream yields what it holds.
  const decoded = decodeBody(raw, body.contentEncoding, true).bytes.subarray(0, DECODED_BYTES_BOUND);
  if (!looksTextual(decoded, body.contentType)) return '';
  return decodeText(decoded, body.contentType).text.slice(0, BODY_TEXT_BOUND);
}

function decodedUrl(url: string): string {
  try {
    return decodeURIComponent(url.replace(/\+/g, ' '));
  } catch {
    return '';
  }
}

/**
 * The distinct tokens of an entry's searchable text, space-separated. Only "every token, last as a prefix" is ever
 * asked, never a phrase, so positions are worthless: each token once per row keeps the FTS index small.
 */
export function indexText(search: SearchText): string {
  const seen = new Set<string>();
  const parts = [search.url, decodedUrl(search.url), search.headers, search.error ?? '',
    bodyText(search.requestBody), bodyText(search.responseBody)];
  for (const part of parts) for (const token of tokenize(part)) seen.add(token);
  return [...seen].join(' ');
}

/**
 * One MATCH expression per query token (all must match; the last as a prefix), each a quoted phrase so no token
 * can be read as an operator (OR, NEAR, NOT, -, *, parentheses). Empty when the query has no token at all.
 */
export function queryTerms(text: string): string[] {
  const tokens = tokenize(text);
  const last = tokens.pop();
  if (last === undefined) return [];
  const rest = [...new Set(tokens)].filter((t) => t !== last).slice(0, MAX_QUERY_TOKENS - 1);
  return [...rest.map((t) => `"${t}"`), `"${last}*"`];
}
