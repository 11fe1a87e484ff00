/**
 * One recorded entry as a HAR 1.2 entry (../shared/spec/har-interop.md), redacted by the export's Redactor.
 *
 * - Timings: our `connectMs` is the TCP phase alone and `tlsMs` the handshake after it (capture/upstream-timings.ts),
 *   so HAR's `connect` is their sum and `ssl` the handshake: HAR counts ssl inside connect, Chrome subtracts it when
 *   drawing. Phases that did not happen are -1; send/wait/receive are never negative (Chrome refuses the file).
 *   `time` is the sum of the phases that happened, ssl once. An exchange with no upstream leg at all (map local, a
 *   refusal) shows its whole duration as `wait`.
 * - URLs are the recorded ones: what the client asked for in forward mode, the upstream's URL in reverse mode (a
 *   reverse session records the target's URL), with `Host` set to that URL's host so that the two never disagree.
 *   That is what Playwright's `routeFromHAR` and a browser's DevTools match against: the app's own addresses,
 *   never the proxy's port of the day.
 * - Bodies: decoded text as text, anything else as base64 (`encoding: "base64"`); a body cut at capture says so
 *   (`_truncated`, `_fullSize`), one that was dropped or lost says why (`_dropped`, `_lost`, `comment`).
 */
import type { Cookie, Entry as HarEntry, Header, PostData, QueryString, Request as HarRequest, Response as HarResponse, Timings as HarTimings } from 'har-format';
import { placeholderOf, variableNameOf } from '../../../src-shared/redaction.js';
import type { BodyInfo, Entry, HeaderPair, Timings } from '../../../src-shared/model.js';
import type { Redactor } from './redact.js';

/** HAR's custom fields we write (readers ignore what they do not know). */
export interface HarContentExtras {
  _truncated?: true;
  _fullSize?: number;
  _capturedSize?: number;
  _dropped?: string;
  _lost?: true;
  _decodeError?: string;
  _encoding?: 'base64';
}

export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
  retry?: number;
}

const ABSENT = -1;

function headerValue(headers: readonly HeaderPair[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of headers) if (key.toLowerCase() === lower) return value;
  return undefined;
}

/** `HTTP/1.1` as HAR writes it, from our `1.1`; `HTTP/2` for h2. */
export function harHttpVersion(version: string | undefined): string {
  if (!version) return 'HTTP/1.1';
  if (/^http\//i.test(version) || /^h[23]$/i.test(version)) return version.toUpperCase().replace(/^H([23])$/, 'HTTP/$1');
  return version === '2.0' || version === '2' ? 'HTTP/2' : `HTTP/${version}`;
}

/** HAR timings from ours (see the file's comment). */
export function harTimings(t: Timings): { timings: HarTimings; time: number } {
  const phase = (ms: number) => (ms >= 0 ? ms : ABSENT);
  const dns = phase(t.dnsMs);
  const ssl = phase(t.tlsMs);
  const tcp = phase(t.connectMs);
  const connect = tcp === ABSENT ? (ssl === ABSENT ? ABSENT : ssl) : tcp + (ssl === ABSENT ? 0 : ssl);
  let send = Math.max(0, t.sendMs);
  let wait = Math.max(0, t.waitMs);
  const receive = Math.max(0, t.recvMs);
  if (t.sendMs < 0 && t.waitMs < 0 && t.recvMs < 0 && dns === ABSENT && connect === ABSENT) {
    send = 0;
    wait = Math.max(0, t.totalMs);
  }
  const round = (ms: number) => (ms === ABSENT ? ms : Math.round(ms * 1000) / 1000);
  const timings: HarTimings = { blocked: ABSENT, dns: round(dns), connect: round(connect), ssl: round(ssl), send: round(send), wait: round(wait), receive: round(receive) };
  const time = [dns, connect, send, wait, receive].filter((ms) => ms !== ABSENT).reduce((a, b) => a + b, 0);
  return { timings, time: Math.round(time * 1000) / 1000 };
}

/** An absolute URL for every entry: a tunnel's `host:port`, a refused request's bare path. */
export function absoluteUrl(entry: Entry): string {
  const url = entry.request.url;
  if (entry.entryType === 'tunnel' && entry.tunnel) {
    const host = entry.tunnel.host.includes(':') ? `[${entry.tunnel.host}]` : entry.tunnel.host;
    return `https://${host}:${entry.tunnel.port}/`;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url.replace(/#.*$/, '');
  const host = headerValue(entry.request.headers, 'host') ?? 'unknown.invalid';
  return `http://${host}${url.startsWith('/') ? '' : '/'}${url}`;
}

function headerSize(firstLine: string, headers: readonly HeaderPair[], httpVersion: string): number {
  if (!/^1\./.test(httpVersion) && !/^HTTP\/1/i.test(httpVersion)) return ABSENT;
  let n = Buffer.byteLength(firstLine) + 2 + 2;
  for (const [name, value] of headers) n += Buffer.byteLength(name) + 2 + Buffer.byteLength(value) + 2;
  return n;
}

function requestCookies(headers: readonly HeaderPair[], redactor: Redactor): Cookie[] {
  const cookies: Cookie[] = [];
  const secret = redactor.isSecretHeader('cookie');
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== 'cookie') continue;
    for (const part of value.split(';')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const cookieName = part.slice(0, eq).trim();
      cookies.push({ name: cookieName, value: secret ? placeholderOf(`cookie_${variableNameOf(cookieName)}`) : redactor.scrub(part.slice(eq + 1).trim()) });
    }
  }
  return cookies;
}

function responseCookies(headers: readonly HeaderPair[], redactor: Redactor): Cookie[] {
  const cookies: Cookie[] = [];
  const secret = redactor.isSecretHeader('set-cookie');
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== 'set-cookie') continue;
    const [first = '', ...attributes] = value.split(';');
    const eq = first.indexOf('=');
    if (eq <= 0) continue;
    const cookieName = first.slice(0, eq).trim();
    const cookie: Cookie = { name: cookieName, value: secret ? placeholderOf(`cookie_${variableNameOf(cookieName)}`) : redactor.scrub(first.slice(eq + 1).trim()) };
    for (const attribute of attributes) {
      const [key = '', ...rest] = attribute.split('=');
      const v = rest.join('=').trim();
      switch (key.trim().toLowerCase()) {
        case 'path': cookie.path = v; break;
        case 'domain': cookie.domain = v; break;
        case 'expires': {
          const when = Date.parse(v);
          if (!Number.isNaN(when)) cookie.expires = new Date(when).toISOString();
          break;
        }
        case 'httponly': cookie.httpOnly = true; break;
        case 'secure': cookie.secure = true; break;
        case 'samesite': (cookie as Cookie & { sameSite?: string }).sameSite = v; break;
        default: break;
      }
    }
    cookies.push(cookie);
  }
  return cookies;
}

function harHeaders(headers: readonly HeaderPair[], redactor: Redactor): Header[] {
  return headers.map(([name, value]) => ({ name, value: redactor.header(name, value) }));
}

function queryStringOf(url: string, redactor: Redactor): QueryString[] {
  const q = url.indexOf('?');
  if (q < 0) return [];
  const out: QueryString[] = [];
  for (const part of url.slice(q + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    let name = rawName;
    let value = rawValue;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      // Not percent-encoding after all: the raw text.
    }
    out.push({ name, value: redactor.field(name, value) });
  }
  return out;
}

/** What a body that cannot be shown says instead (never a silently empty body). */
function bodyNotes(body: BodyInfo): { extras: HarContentExtras; comment?: string } {
  const extras: HarContentExtras = {};
  const words: string[] = [];
  if (body.truncated) {
    extras._truncated = true;
    extras._fullSize = body.size;
    extras._capturedSize = body.capturedSize;
    words.push(`body truncated at capture: ${body.capturedSize} of ${body.size} bytes kept`);
  }
  if (body.dropped) {
    extras._dropped = body.droppedReason ?? 'not saved';
    words.push(`body not saved: ${extras._dropped}`);
  }
  if (body.lost) {
    extras._lost = true;
    words.push('body lost: its saved bytes are missing from the store');
  }
  if (body.decodeError) {
    extras._decodeError = body.decodeError;
    words.push(`body could not be decoded: ${body.decodeError}`);
  }
  return words.length > 0 ? { extras, comment: words.join('; ') } : { extras };
}

const FORM = 'application/x-www-form-urlencoded';

type HarPostData = { mimeType: string; text: string; params?: Array<{ name: string; value: string }>; comment?: string } & HarContentExtras;

function postDataOf(entry: Entry, redactor: Redactor): HarPostData | undefined {
  const body = entry.request.body;
  if (body.size === 0 && body.capturedSize === 0 && !body.dropped && !body.lost) return undefined;
  const mimeType = body.contentType ?? headerValue(entry.request.headers, 'content-type') ?? '';
  const { extras, comment } = bodyNotes(body);
  const out: HarPostData = { mimeType, text: '' };
  if (body.text !== undefined) {
    out.text = redactor.bodyText(body.text, mimeType);
    if (mimeType.toLowerCase().startsWith(FORM)) out.params = formParams(out.text);
  } else if (body.base64 !== undefined) {
    out.text = body.base64;
    out._encoding = 'base64';
  }
  Object.assign(out, extras);
  if (comment) out.comment = comment;
  return out;
}

/** A redacted form body's fields (already redacted: the placeholders stay as they are). */
function formParams(text: string): Array<{ name: string; value: string }> {
  const params: Array<{ name: string; value: string }> = [];
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const raw = [eq < 0 ? part : part.slice(0, eq), eq < 0 ? '' : part.slice(eq + 1)] as const;
    const [name, value] = raw.map((s) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s;
      }
    }) as [string, string];
    params.push({ name, value });
  }
  return params;
}

function decodedSize(body: BodyInfo): number {
  if (!body.contentEncoding && !body.truncated && !body.dropped && !body.lost) return body.size;
  if (body.base64 !== undefined) return Buffer.byteLength(body.base64, 'base64');
  if (body.text !== undefined) return Buffer.byteLength(body.text);
  return 0;
}

/** `text/event-stream` events of a body's text (split on blank lines, fields per the WHATWG parsing rules). */
export function sseEvents(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.replace(/\r\n?/g, '\n').split(/\n\n+/)) {
    if (block.trim() === '') continue;
    const data: string[] = [];
    const event: SseEvent = { data: '' };
    let any = false;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      any = true;
      if (field === 'data') data.push(value);
      else if (field === 'event') event.event = value;
      else if (field === 'id') event.id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) event.retry = Number(value);
    }
    if (!any) continue;
    event.data = data.join('\n');
    events.push(event);
  }
  return events;
}

/** Chrome's `_resourceType`, from what the request asked for and what came back. */
export type ResourceType = NonNullable<HarEntry['_resourceType']>;

export function resourceTypeOf(entry: Entry): ResourceType {
  const req = entry.request.headers;
  const status = entry.response?.statusCode;
  if (status === 101 || (headerValue(req, 'upgrade') ?? '').toLowerCase() === 'websocket') return 'websocket';
  const type = (entry.response?.body.contentType ?? (entry.response ? headerValue(entry.response.headers, 'content-type') : undefined) ?? '').toLowerCase();
  if (type.startsWith('text/event-stream') || (headerValue(req, 'accept') ?? '').startsWith('text/event-stream')) return 'eventsource';
  const dest = (headerValue(req, 'sec-fetch-dest') ?? '').toLowerCase();
  const byDest: Record<string, ResourceType> = {
    document: 'document', iframe: 'document', frame: 'document', script: 'script', worker: 'script', sharedworker: 'script',
    serviceworker: 'script', style: 'stylesheet', image: 'image', font: 'font', audio: 'media', video: 'media', track: 'texttrack',
    manifest: 'manifest',
  };
  if (byDest[dest]) return byDest[dest];
  const xhr = (headerValue(req, 'x-requested-with') ?? '').toLowerCase() === 'xmlhttprequest';
  if (dest === 'empty') return xhr ? 'xhr' : 'fetch';
  if (type.startsWith('text/html') || type.startsWith('application/xhtml')) return 'document';
  if (type.includes('javascript') || type.includes('ecmascript')) return 'script';
  if (type.startsWith('text/css')) return 'stylesheet';
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('font/') || type.includes('font-woff') || type.includes('opentype')) return 'font';
  if (type.startsWith('audio/') || type.startsWith('video/')) return 'media';
  if (type.startsWith('application/wasm')) return 'wasm';
  if (type.includes('json') || type.includes('xml') || type.startsWith('text/plain')) return xhr ? 'xhr' : 'fetch';
  return 'other';
}

/** Headers with `Host` (and `:authority`) naming the URL's host, when the recorded ones name the proxy. */
function hostFixed(headers: readonly HeaderPair[], url: string): readonly HeaderPair[] {
  let host: string;
  try {
    host = new URL(url).host;
  } catch {
    return headers;
  }
  if (!headers.some(([n, v]) => (n.toLowerCase() === 'host' || n === ':authority') && v !== host)) return headers;
  return headers.map(([n, v]) => (n.toLowerCase() === 'host' || n === ':authority' ? [n, host] : [n, v]));
}

function emptyResponse(entry: Entry): HarResponse & { _error?: string } {
  return {
    status: 0,
    statusText: '',
    httpVersion: '',
    cookies: [],
    headers: [],
    content: { size: 0, mimeType: 'x-unknown' },
    redirectURL: '',
    headersSize: ABSENT,
    bodySize: ABSENT,
    ...(entry.error ? { _error: entry.error.message } : {}),
  };
}

function harResponse(entry: Entry, redactor: Redactor): HarResponse {
  const res = entry.response;
  if (!res) return emptyResponse(entry);
  const body = res.body;
  const mimeType = body.contentType ?? headerValue(res.headers, 'content-type') ?? 'x-unknown';
  const { extras, comment } = bodyNotes(body);
  const content: HarResponse['content'] & HarContentExtras = { size: decodedSize(body), mimeType };
  if (body.text !== undefined) content.text = redactor.bodyText(body.text, mimeType);
  else if (body.base64 !== undefined) {
    content.text = body.base64;
    content.encoding = 'base64';
  }
  const compression = content.size - body.size;
  if (body.contentEncoding && compression > 0 && !body.truncated) content.compression = compression;
  Object.assign(content, extras);
  if (comment) content.comment = comment;
  const httpVersion = harHttpVersion(res.httpVersion);
  return {
    status: res.statusCode,
    statusText: res.statusMessage ?? '',
    httpVersion,
    cookies: responseCookies(res.headers, redactor),
    headers: harHeaders(res.headers, redactor),
    content,
    redirectURL: redactor.url(headerValue(res.headers, 'location') ?? ''),
    headersSize: headerSize(`${httpVersion} ${res.statusCode} ${res.statusMessage ?? ''}`, res.headers, res.httpVersion),
    bodySize: body.size,
  };
}

function harRequest(entry: Entry, url: string, redactor: Redactor): HarRequest {
  const req = entry.request;
  const headers = hostFixed(req.headers, url);
  const httpVersion = harHttpVersion(req.httpVersion);
  let target = url;
  try {
    const parsed = new URL(url);
    target = parsed.pathname + parsed.search;
  } catch {
    // Left as the URL.
  }
  const out: HarRequest = {
    method: req.method,
    url: redactor.url(url),
    httpVersion,
    cookies: requestCookies(headers, redactor),
    headers: harHeaders(headers, redactor),
    queryString: queryStringOf(url, redactor),
    headersSize: headerSize(`${req.method} ${target} ${httpVersion}`, headers, req.httpVersion),
    bodySize: req.body.size,
  };
  const postData = postDataOf(entry, redactor);
  if (postData) out.postData = postData as PostData;
  return out;
}

/** The HAR entry of one recorded entry (with its bodies read: `text` or `base64` filled in). */
export function harEntryOf(entry: Entry, redactor: Redactor): HarEntry {
  const url = absoluteUrl(entry);
  const { timings, time } = harTimings(entry.timings);
  const har: HarEntry & Record<`_${string}`, unknown> = {
    startedDateTime: entry.startedAt,
    time,
    request: harRequest(entry, url, redactor),
    response: harResponse(entry, redactor),
    cache: {},
    timings,
    _resourceType: resourceTypeOf(entry),
  };
  if (entry.tags.length > 0) har._tags = entry.tags;
  if (entry.notes) {
    har._notes = entry.notes;
    har.comment = entry.notes;
  }
  if (entry.error) har._error = { code: entry.error.code, message: entry.error.message };
  if (entry.tunnel) har._tunnel = entry.tunnel;
  if (entry.mapLocal) har._mapLocalMockId = entry.mapLocalMockId ?? true;
  const type = (entry.response?.body.contentType ?? '').toLowerCase();
  if (type.startsWith('text/event-stream') && entry.response?.body.text !== undefined) {
    har._eventStream = sseEvents(redactor.scrub(entry.response.body.text));
  }
  return har;
}
