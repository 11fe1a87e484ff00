/**
 * What the index tokenizes for an entry, and how a user's query becomes an FTS4 MATCH expression.
 * Tokens follow FTS4's unicode61 tokenizer: runs of letters, digits and marks; case and diacritics folded.
 */
import { decodeBody, looksTextual } from '../../body/body-decode.js';
import { decodeText } from '../../body/body-charset.js';
import type { RawBodyForSearch, SearchText } from './index-types.js';

/** Decoded text indexed per body. Chosen from the index-scale.ts measurement (README: what is not searchable). */
export const BODY_TEXT_BOUND = 512;
/** Distinct tokens indexed per entry from its URL, error and headers, and from its bodies (see indexText). */
export const HEAD_TOKEN_CAP = 40;
export const BODY_TOKEN_CAP = 24;
/**
 * One-character tokens (the 5 and 0 of "Mozilla/5.0", the x of "x-request-id") are in nearly every row: a posting
 * each, and no search is narrowed by them. A query's last token is a prefix, so "x" still finds "x11".
 */
export const MIN_TOKEN_LENGTH = 2;
/** A longer query cannot be more selective in practice, and each token costs a term lookup per bucket. */
export const MAX_QUERY_TOKENS = 32;
/**
 * A decompressed prefix is cut here before charset decoding: the bound is on text, this bounds the work. It is also
 * all the bytes of an uncompressed body that the index can use (a caller need not post more).
 */
export const BODY_BYTES_BOUND = BODY_TEXT_BOUND * 4;

/**
 * Headers whose values are credentials: indexing them would copy secrets into index.db and make them searchable.
 * Only the header's name is indexed.
 */
export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-auth-token',
  'x-csrf-token', 'x-xsrf-token', 'x-amz-security-token',
]);

/**
 * Headers whose values are ids, hashes, signatures or times, unique to each exchange: each value would be a term of
 * its own with its own doclist (most of the index at scale), and nobody searches for a trace id by its halves.
 */
export const NOISY_HEADERS: ReadonlySet<string> = new Set([
  'traceparent', 'tracestate', 'baggage', 'sentry-trace', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid',
  'x-request-id', 'request-id', 'x-correlation-id', 'x-trace-id', 'x-amzn-trace-id', 'x-amzn-requestid',
  'x-amz-request-id', 'x-amz-id-2', 'x-amz-cf-id', 'x-cloud-trace-context', 'cf-ray', 'x-github-request-id',
  'etag', 'if-none-match', 'if-match', 'date', 'last-modified', 'if-modified-since', 'if-unmodified-since', 'expires',
  'age', 'content-length', 'content-md5', 'digest', 'x-amz-date', 'x-timer', 'x-runtime', 'x-response-time',
  'x-amz-content-sha256', 'signature', 'signature-input',
]);

const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu;
const MARKS = /\p{M}+/gu;
/** Anything but printable ASCII and whitespace takes the slow path (which is right for all text, only slower). */
const NON_ASCII = /[^ -~\t\n\r]/;

/** Folded as unicode61 folds (diacritics removed, lower case); marks go before splitting, so they join their base. */
function fold(text: string): string {
  return !NON_ASCII.test(text) ? text.toLowerCase() : text.normalize('NFD').replace(MARKS, '').toLowerCase();
}

/**
 * A UUID (request ids, trace ids, object ids in URLs and bodies) would be five unique terms, the costliest part of the
 * index at scale; its first 8 hex digits are one term and still find it. The query side goes through here too, so
 * a whole UUID in a query matches (a fragment other than the first 8 digits does not).
 */
const UUIDS = /\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;

/** Letters and digits: what a token is made of in ASCII text. */
function isTokenChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 48 && code <= 57);
}

function isHex(code: number): boolean {
  return (code >= 97 && code <= 102) || (code >= 48 && code <= 57);
}

/** A lowercase UUID at `i` (as UUIDS matches it: word boundaries on both sides, `_` counting as a word character). */
function uuidAt(lower: string, i: number): boolean {
  if (lower.length - i < 36) return false;
  for (let k = 0; k < 36; k++) {
    const code = lower.charCodeAt(i + k);
    if (k === 8 || k === 13 || k === 18 || k === 23) {
      if (code !== 45) return false;
    } else if (!isHex(code)) return false;
  }
  const after = lower.charCodeAt(i + 36);
  return !(isTokenChar(after) || after === 95);
}

/**
 * Calls `visit` with each token of `text` in order until it answers false. ASCII text (nearly all of it: URLs,
 * headers, JSON) is scanned by character code, which costs a fraction of the Unicode-aware regular expression and
 * stops as soon as the caller has enough; other text takes the exact path.
 */
function eachToken(text: string, visit: (token: string) => boolean): void {
  if (NON_ASCII.test(text)) {
    const folded = fold(text.replace(UUIDS, '$1'));
    for (const match of folded.matchAll(TOKEN)) if (!visit(match[0])) return;
    return;
  }
  const lower = text.toLowerCase();
  const n = lower.length;
  let i = 0;
  while (i < n) {
    if (!isTokenChar(lower.charCodeAt(i))) {
      i++;
      continue;
    }
    if (isHex(lower.charCodeAt(i)) && (i === 0 || lower.charCodeAt(i - 1) !== 95) && uuidAt(lower, i)) {
      if (!visit(lower.slice(i, i + 8))) return;
      i += 36;
      continue;
    }
    const start = i;
    while (i < n && isTokenChar(lower.charCodeAt(i))) i++;
    if (!visit(lower.slice(start, i))) return;
  }
}

export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  eachToken(text, (token) => {
    tokens.push(token);
    return true;
  });
  return tokens;
}

/** The text of one body, decoded (content-encoding, then charset) and cut to the bound; '' for binary bodies. */
export function bodyText(body: RawBodyForSearch | undefined): string {
  if (!body || body.bytes.length === 0) return '';
  const raw = Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength);
  // The caller passes a prefix, so decode leniently: a cut compressed stream yields what it holds.
  const decoded = decodeBody(raw, body.contentEncoding, true).bytes.subarray(0, BODY_BYTES_BOUND);
  if (!looksTextual(decoded, body.contentType)) return '';
  return decodeText(decoded, body.contentType).text.slice(0, BODY_TEXT_BOUND);
}

function decodedUrl(url: string): string {
  // Nothing to decode: its tokens are the URL's own.
  if (!url.includes('%') && !url.includes('+')) return '';
  try {
    return decodeURIComponent(url.replace(/\+/g, ' '));
  } catch {
    return '';
  }
}

/** A hex id or hash (UUIDs included), or a base64/JWT-like token: one word, long, digits among letters. */
function looksRandom(value: string): boolean {
  if (value.length < 16 || /\s/.test(value)) return false;
  if (/^[0-9a-f-]+$/i.test(value) && /\d/.test(value)) return true;
  if (!/^[A-Za-z0-9+/=_.:-]+$/.test(value)) return false;
  // Runs are disjoint, so this stays linear in the value's length (a lookahead per position would not).
  return (value.match(/[A-Za-z0-9]{20,}/g) ?? []).some((run) => /\d/.test(run) && /[A-Za-z]/.test(run));
}

/** The part of a header line that is indexed: the name alone for secret, noisy and random-looking values. */
export function headerSearchText(line: string): string {
  const colon = line.indexOf(':');
  if (colon < 0) return line;
  const name = line.slice(0, colon).trim().toLowerCase();
  const value = line.slice(colon + 1).trim();
  if (SECRET_HEADERS.has(name) || NOISY_HEADERS.has(name) || looksRandom(value)) return name;
  return line;
}

/** Adds the new tokens of `text` to `seen`, at most `cap` of them. */
function addTokens(seen: Set<string>, text: string, cap: number): number {
  let added = 0;
  if (cap <= 0 || text === '') return 0;
  eachToken(text, (token) => {
    if (token.length < MIN_TOKEN_LENGTH || seen.has(token)) return true;
    seen.add(token);
    return ++added < cap;
  });
  return added;
}

/**
 * The distinct tokens of an entry's searchable text, space-separated. Only "every token, last as a prefix" is ever
 * asked, never a phrase, so positions are worthless: each token once per row keeps the FTS index small. Tokens are
 * capped per entry (URL first, then the error, then headers in wire order; request body, then response body), so a
 * huge header block or a body of unique ids cannot make one row cost more than a bounded number of postings.
 */
export function indexText(search: SearchText): string {
  const seen = new Set<string>();
  let head = HEAD_TOKEN_CAP;
  const heads = [search.url, decodedUrl(search.url), search.error ?? '', ...search.headers.split('\n').map(headerSearchText)];
  for (const part of heads) {
    if (head <= 0) break;
    head -= addTokens(seen, part, head);
  }
  let body = BODY_TOKEN_CAP;
  for (const part of [search.requestBody, search.responseBody]) {
    if (body <= 0) break;
    body -= addTokens(seen, bodyText(part), body);
  }
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
  const rest = [...new Set(tokens)].filter((t) => t !== last && t.length >= MIN_TOKEN_LENGTH).slice(0, MAX_QUERY_TOKENS - 1);
  return [...rest.map((t) => `"${t}"`), `"${last}*"`];
}
