/**
 * A HAR file (Chrome, Firefox, Charles, k6 Studio, ours) as a stopped session whose entries are like recorded ones:
 * headers as on the wire, bodies kept as raw bytes with the Content-Encoding their headers name (a HAR holds the
 * decoded text, so it is encoded again: gzip, deflate, br), timings in our phases. The whole file is checked and
 * every entry built before the session exists: a refusal imports nothing.
 *
 * The traps, each handled:
 * - a form post with both `params` and `text`: `text` wins (the bytes sent); `params` alone are made into text;
 * - a body that looks like base64 is only decoded when `encoding` says "base64" (k6 Studio #294);
 * - missing timings are -1 (did not happen / unknown), a missing `time` is their sum;
 * - HTTP/2 pseudo-headers (`:authority`, `:method`...) are dropped from the headers, `Host` made from `:authority`;
 * - missing cookie arrays, `content.size` -1, `startedDateTime` without milliseconds or zone.
 * What the model has no room for (WebSocket frames) is said in `warnings`, never silently lost.
 */
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ApiError } from '../../../src-shared/errors.js';
import type { HarImportResult } from '../../../src-shared/har-contract.js';
import type { BodyInfo, Entry, EntryResponse, HeaderPair, RawHeaderValues, Timings } from '../../../src-shared/model.js';
import type { Recorder } from '../sessions/recorder.js';
import type { EntryBodies } from '../store/store-types.js';
import { parseHarFile, type HarFileEntry } from './har-schema.js';

const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);
const brotli = promisify(zlib.brotliCompress);

/** Warnings of one kind name at most this many entries. */
const NAMED_ENTRIES = 5;

class Warnings {
  private readonly byKind = new Map<string, number[]>();
  private readonly plain: string[] = [];

  add(kind: string, entry?: number): void {
    if (entry === undefined) {
      this.plain.push(kind);
      return;
    }
    let list = this.byKind.get(kind);
    if (!list) this.byKind.set(kind, (list = []));
    list.push(entry);
  }

  list(): string[] {
    const out = [...this.plain];
    for (const [kind, entries] of this.byKind) {
      const named = entries.slice(0, NAMED_ENTRIES).map((i) => `log.entries[${i}]`).join(', ');
      const more = entries.length > NAMED_ENTRIES ? ` and ${entries.length - NAMED_ENTRIES} more` : '';
      out.push(`${named}${more}: ${kind}`);
    }
    return out;
  }
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function headerOf(headers: readonly HeaderPair[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of headers) if (key.toLowerCase() === lower) return value;
  return undefined;
}

/** `HTTP/1.1` → `1.1`, `h2` / `HTTP/2.0` → `2.0`, missing → `1.1`. */
export function modelHttpVersion(version: string | null | undefined): string {
  const v = (version ?? '').trim().toLowerCase();
  if (v === '' || v === 'unknown') return '1.1';
  if (v === 'h2' || v === 'http/2' || v === 'http/2.0' || v === '2') return '2.0';
  if (v === 'h3' || v === 'http/3' || v === 'http/3.0' || v === '3') return '3.0';
  const m = /^http\/(\d(?:\.\d)?)$/.exec(v);
  return m ? (m[1]!.includes('.') ? m[1]! : `${m[1]}.0`) : version!.trim().slice(0, 16);
}

/** Headers in our shape: pseudo-headers out (Host from `:authority`), exact bytes kept for non-ASCII values. */
function modelHeaders(list: ReadonlyArray<{ name: string; value: string }>, index: number, warnings: Warnings, withHost: boolean): { headers: HeaderPair[]; rawHeaderValues?: RawHeaderValues } {
  const headers: HeaderPair[] = [];
  let authority: string | undefined;
  let pseudo = false;
  for (const { name, value } of list) {
    if (name.startsWith(':')) {
      pseudo = true;
      if (name === ':authority') authority = value;
      continue;
    }
    if (name === '') continue;
    headers.push([name, value]);
  }
  if (pseudo) {
    if (withHost && authority && headerOf(headers, 'host') === undefined) headers.unshift(['Host', authority]);
    warnings.add(withHost ? 'HTTP/2 pseudo-headers dropped from the request (Host taken from :authority)' : 'HTTP/2 pseudo-headers dropped from the response', index);
  }
  let raw: RawHeaderValues | undefined;
  headers.forEach(([, value], i) => {
    if (/[^ -~\t]/.test(value)) (raw ??= {})[i] = Buffer.from(value, 'utf8').toString('base64');
  });
  return raw ? { headers, rawHeaderValues: raw } : { headers };
}

const SINGLE_BYTE = new Set(['iso-8859-1', 'latin1', 'l1', 'us-ascii', 'ascii', 'windows-1252', 'cp1252', 'iso_8859-1']);

function charsetOf(contentType: string | undefined): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
}

/** A body's text as the bytes its Content-Type's charset names (UTF-8 where we have no encoder). */
function textBytes(text: string, contentType: string | undefined, index: number, warnings: Warnings): Buffer {
  const charset = charsetOf(contentType);
  if (!charset || charset === 'utf-8' || charset === 'utf8') return Buffer.from(text, 'utf8');
  if (SINGLE_BYTE.has(charset)) {
    if (![...text].some((ch) => ch.charCodeAt(0) > 0xff)) return Buffer.from(text, 'latin1');
    warnings.add(`a ${charset} body holds characters outside Latin-1: stored as UTF-8`, index);
    return Buffer.from(text, 'utf8');
  }
  warnings.add(`the body's charset ${charset} has no encoder here: stored as UTF-8`, index);
  return Buffer.from(text, 'utf8');
}

const BASE64 = /^[A-Za-z0-9+/\-_\s]*={0,2}\s*$/;

function base64Bytes(text: string, path: string): Buffer {
  if (!BASE64.test(text)) throw new ApiError('bad_request', `${path}: encoding is "base64" but the text is not base64`, path);
  return Buffer.from(text, 'base64');
}

/**
 * The decoded bytes encoded again as the headers' Content-Encoding says (in the order listed), or the header
 * dropped where we cannot (zstd, unknown codings): the stored bytes must be what the headers say they are.
 */
async function encodedAs(bytes: Buffer, headers: HeaderPair[], index: number, warnings: Warnings): Promise<{ bytes: Buffer; headers: HeaderPair[]; contentEncoding?: string }> {
  const codings = headers.filter(([n]) => n.toLowerCase() === 'content-encoding').flatMap(([, v]) => v.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c && c !== 'identity'));
  if (codings.length === 0) return { bytes, headers };
  let out = bytes;
  for (const coding of codings) {
    if (coding === 'gzip' || coding === 'x-gzip') out = await gzip(out);
    else if (coding === 'deflate') out = await deflate(out);
    else if (coding === 'br') out = await brotli(out);
    else {
      warnings.add(`Content-Encoding ${codings.join(', ')} cannot be applied again here: the header was dropped and the body kept decoded`, index);
      return { bytes, headers: headers.filter(([n]) => n.toLowerCase() !== 'content-encoding') };
    }
  }
  return { bytes: out, headers, contentEncoding: codings.join(', ') };
}

/** A form's fields as the bytes a browser sends: urlencoded, or multipart with the boundary the type names. */
function textFromParams(params: ReadonlyArray<{ name: string; value?: string | null; fileName?: string | null; contentType?: string | null }>, mimeType: string): string {
  const boundary = /boundary="?([^";]+)"?/i.exec(mimeType)?.[1];
  if (mimeType.toLowerCase().startsWith('multipart/form-data') && boundary) {
    let text = '';
    for (const p of params) {
      const file = p.fileName ? `; filename="${p.fileName}"` : '';
      text += `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${file}\r\n${p.contentType ? `Content-Type: ${p.contentType}\r\n` : ''}\r\n${p.value ?? ''}\r\n`;
    }
    return `${text}--${boundary}--\r\n`;
  }
  return params.map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(p.value ?? '')}`).join('&');
}

function timingsOf(e: HarFileEntry): Timings {
  const t: Partial<NonNullable<HarFileEntry['timings']>> = e.timings ?? {};
  const phase = (v: number | undefined) => (v !== undefined && v >= 0 ? v : -1);
  const ssl = phase(t.ssl);
  const connect = phase(t.connect);
  // HAR counts ssl inside connect; ours keeps TCP and TLS apart.
  const tcp = connect === -1 ? -1 : ssl === -1 ? connect : Math.max(0, connect - ssl);
  const timings: Timings = { dnsMs: phase(t.dns), connectMs: tcp, tlsMs: ssl, sendMs: phase(t.send), waitMs: phase(t.wait), recvMs: phase(t.receive), totalMs: 0 };
  const sum = [phase(t.blocked), timings.dnsMs, connect, timings.sendMs, timings.waitMs, timings.recvMs].filter((v) => v >= 0).reduce((a, b) => a + b, 0);
  timings.totalMs = e.time !== undefined && e.time >= 0 ? e.time : sum;
  return timings;
}

interface Built {
  entry: Entry;
  bodies: EntryBodies;
}

/** A side's body: bytes (encoded as its headers say) and its info, or an info that says why there are none. */
async function bodyOf(
  source: { text?: string | null; base64: boolean; size?: number; truncated?: boolean | null; fullSize?: number; dropped?: string | null; lost?: boolean | null },
  headers: HeaderPair[],
  contentType: string | undefined,
  path: string,
  index: number,
  warnings: Warnings,
): Promise<{ info: BodyInfo; bytes?: Buffer; headers: HeaderPair[] }> {
  const info: BodyInfo = { size: 0, capturedSize: 0, truncated: false };
  if (contentType) info.contentType = contentType;
  if (source.text === undefined || source.text === null) {
    if (source.dropped || source.lost) {
      if (source.lost) info.lost = true;
      else info.dropped = true;
      info.droppedReason = source.dropped ?? 'lost before it was exported';
      info.size = source.fullSize ?? Math.max(0, source.size ?? 0);
    } else if ((source.size ?? 0) > 0) {
      info.size = source.size!;
      info.dropped = true;
      info.droppedReason = 'the HAR file holds no content for this body';
      warnings.add('a body the file gives a size but no content for is marked not saved', index);
    }
    return { info, headers };
  }
  const decoded = source.base64 ? base64Bytes(source.text, path) : textBytes(source.text, contentType, index, warnings);
  const encoded = await encodedAs(decoded, headers, index, warnings);
  if (encoded.contentEncoding) info.contentEncoding = encoded.contentEncoding;
  info.capturedSize = encoded.bytes.length;
  info.size = encoded.bytes.length;
  if (source.truncated) {
    info.truncated = true;
    if (source.fullSize !== undefined && source.fullSize > info.size) info.size = source.fullSize;
  }
  return { info, ...(encoded.bytes.length > 0 ? { bytes: encoded.bytes } : {}), headers: encoded.headers };
}

async function buildEntry(e: HarFileEntry, index: number, warnings: Warnings): Promise<Built> {
  const at = `log.entries[${index}]`;
  const req = e.request;
  const reqHeaders = modelHeaders(req.headers, index, warnings, true);
  if (headerOf(reqHeaders.headers, 'cookie') === undefined && req.cookies.length > 0) {
    reqHeaders.headers.push(['Cookie', req.cookies.map((c) => `${c.name}=${c.value}`).join('; ')]);
    warnings.add('a Cookie header made from the request\'s cookies list', index);
  }
  const post = req.postData ?? undefined;
  const reqType = headerOf(reqHeaders.headers, 'content-type') ?? post?.mimeType ?? undefined;
  let postText = post?.text ?? undefined;
  if ((postText === undefined || postText === '') && post?.params && post.params.length > 0) {
    postText = textFromParams(post.params, reqType ?? '');
    warnings.add('a form body made from postData.params (the file had no postData.text)', index);
  }
  const postBase64 = post?.encoding === 'base64' || post?._encoding === 'base64';
  const reqBody = await bodyOf(
    { text: postText, base64: postBase64, size: post?._fullSize ?? req.bodySize, truncated: post?._truncated ?? false, ...(post?._fullSize !== undefined ? { fullSize: post._fullSize } : {}) },
    reqHeaders.headers, reqType ?? undefined, `${at}.request.postData.text`, index, warnings,
  );
  const timings = timingsOf(e);
  const entry: Entry = {
    id: randomUUID(),
    sessionId: '',
    entryType: 'http',
    startedAt: new Date(Date.parse(e.startedDateTime)).toISOString(),
    request: {
      method: req.method,
      url: req.url.replace(/#.*$/, ''),
      httpVersion: modelHttpVersion(req.httpVersion),
      headers: reqBody.headers,
      body: reqBody.info,
      ...(reqHeaders.rawHeaderValues ? { rawHeaderValues: reqHeaders.rawHeaderValues } : {}),
    },
    durationMs: timings.totalMs,
    timings,
    tags: [...new Set(e._tags ?? [])],
    notes: e._notes ?? e.comment ?? '',
    mapLocal: false,
  };
  const bodies: EntryBodies = {};
  if (reqBody.bytes) bodies.request = reqBody.bytes;
  const res = e.response ?? undefined;
  if (res && res.status > 0) {
    const resHeaders = modelHeaders(res.headers, index, warnings, false);
    const c = res.content ?? undefined;
    let text = c?.text ?? undefined;
    if ((text === undefined || text === null) && e._eventStream && e._eventStream.length > 0) {
      text = e._eventStream.map((ev) => `${ev.id ? `id: ${ev.id}\n` : ''}${ev.event || ev.type ? `event: ${ev.event ?? ev.type}\n` : ''}${(ev.data ?? '').split('\n').map((l) => `data: ${l}`).join('\n')}\n\n`).join('');
      warnings.add('an event-stream body made from _eventStream', index);
    }
    const resType = headerOf(resHeaders.headers, 'content-type') ?? (c?.mimeType && c.mimeType !== 'x-unknown' ? c.mimeType : undefined);
    const resBody = await bodyOf(
      { text, base64: c?.encoding === 'base64', size: res.bodySize !== undefined && res.bodySize > 0 ? res.bodySize : c?.size, truncated: c?._truncated, ...(c?._fullSize !== undefined ? { fullSize: c._fullSize } : {}), dropped: c?._dropped, lost: c?._lost },
      resHeaders.headers, resType, `${at}.response.content.text`, index, warnings,
    );
    const response: EntryResponse = {
      statusCode: res.status,
      statusMessage: res.statusText ?? '',
      httpVersion: modelHttpVersion(res.httpVersion || req.httpVersion),
      headers: resBody.headers,
      body: resBody.info,
      ...(resHeaders.rawHeaderValues ? { rawHeaderValues: resHeaders.rawHeaderValues } : {}),
    };
    entry.response = response;
    if (resBody.bytes) bodies.response = resBody.bytes;
  }
  const error = e._error ?? undefined;
  if (error !== undefined) {
    entry.error = typeof error === 'string' ? { code: 'har_error', message: error } : { code: error.code ?? 'har_error', message: error.message ?? 'failed' };
  } else if (!entry.response) {
    entry.error = { code: 'no_response', message: res?._error ?? 'the HAR file has no response for this request (status 0)' };
  }
  if (e._webSocketMessages && e._webSocketMessages.length > 0) {
    warnings.add('WebSocket messages (_webSocketMessages) are not kept: entries have no room for frames yet', index);
  }
  return { entry, bodies };
}

export async function importHar(recorder: Recorder, raw: unknown, options: { name?: string } = {}): Promise<HarImportResult> {
  const file = parseHarFile(raw);
  const warnings = new Warnings();
  let order = file.log.entries.map((_, i) => i);
  const limit = recorder.limits.maxEntriesPerSession;
  if (order.length > limit) {
    // The session keeps its newest entries, as a recording past its limit does.
    order = order.map((i) => [i, Date.parse(file.log.entries[i]!.startedDateTime)] as const).sort((a, b) => a[1] - b[1] || a[0] - b[0]).slice(-limit).map(([i]) => i).sort((a, b) => a - b);
    warnings.add(`${file.log.entries.length - limit} of ${file.log.entries.length} entries left out: a session keeps at most ${limit} (the newest are imported; the limit is the engine option limits.maxEntriesPerSession)`);
  }
  const items: Built[] = [];
  for (let n = 0; n < order.length; n++) {
    const i = order[n]!;
    items.push(await buildEntry(file.log.entries[i]!, i, warnings));
    if (n % 200 === 199) await yieldToLoop();
  }
  const title = file.log.pages?.find((p) => p.title)?.title?.trim();
  const name = options.name ?? (title ? title.slice(0, 200) : `Imported HAR${file.log.creator?.name ? ` (${file.log.creator.name.slice(0, 100)})` : ''}`);
  const { session } = await recorder.importSession({ name, items });
  return { session, imported: items.length, warnings: warnings.list() };
}
