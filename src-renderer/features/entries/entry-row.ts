/**
 * The table never holds whole entries: a row is a flat summary built once when an entry arrives, so
 * 100k rows stay small and the filter reads plain fields instead of walking header arrays on every keystroke.
 */
import type { Entry, EntryType, HeaderPair, PendingEntry } from '../../../src-shared/model.js';
import type { AppliedRule } from '../../../src-shared/modifications.js';
import type { InjectedToxic } from '../../../src-shared/toxics.js';

export interface EntryRow {
  id: string;
  /** Arrival order; the default sort. */
  seq: number;
  startedAt: number;
  method: string;
  url: string;
  host: string;
  path: string;
  /** 0 when there is no response (failed exchange, tunnel). */
  status: number;
  entryType: EntryType;
  contentType: string;
  /** Short label for the Type column: json, html, image, tunnel... */
  typeLabel: string;
  durationMs: number;
  /** Response body size as transferred; tunnels: bytes down. */
  size: number;
  tags: string[];
  notes: string;
  error: string;
  mapLocal: boolean;
  /** What the toxics did (its badge), and the modification rules that changed it: shared with the entry, not copied. */
  injected?: InjectedToxic;
  modifiedRules?: readonly AppliedRule[];
  /** The mock that answered, when map local did. */
  mockId?: string;
  /** Lower-cased URL and request+response headers, for client-side free-text search. */
  haystack: string;
  /** A request still in flight: its entry will replace this row under the same id. */
  pending?: true;
}

export function headerValue(headers: HeaderPair[] | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of headers) if (k.toLowerCase() === lower) return v;
  return undefined;
}

export function splitUrl(url: string): { host: string; path: string } {
  // CONNECT targets are "host:port" and proxied requests are absolute; anything else is left readable as is.
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)(.*)$/i.exec(url);
  if (match) return { host: match[1] ?? '', path: match[2] || '/' };
  if (!url.startsWith('/') && /^[^/\s]+:\d+$/.test(url)) return { host: url, path: '' };
  return { host: '', path: url };
}

export function typeLabelOf(entryType: EntryType, contentType: string): string {
  if (entryType !== 'http') return entryType;
  const ct = contentType.toLowerCase().split(';')[0]?.trim() ?? '';
  if (!ct) return '';
  if (ct.includes('json')) return 'json';
  if (ct.includes('html')) return 'html';
  if (ct.includes('xml')) return 'xml';
  if (ct.startsWith('image/')) return 'image';
  if (ct.includes('javascript')) return 'js';
  if (ct === 'text/css') return 'css';
  if (ct === 'text/event-stream') return 'sse';
  if (ct.startsWith('text/')) return 'text';
  if (ct.includes('form')) return 'form';
  if (ct.startsWith('font/')) return 'font';
  return ct.split('/')[1] ?? ct;
}

function headersText(headers: HeaderPair[] | undefined): string {
  if (!headers || headers.length === 0) return '';
  let out = '';
  for (const [k, v] of headers) out += `\n${k}: ${v}`;
  return out;
}

export function toEntryRow(entry: Entry, seq: number): EntryRow {
  const { host, path } = splitUrl(entry.request.url);
  const contentType = entry.response?.body.contentType ?? headerValue(entry.response?.headers, 'content-type') ?? '';
  const size = entry.tunnel ? entry.tunnel.bytesDown : (entry.response?.body.size ?? 0);
  return {
    id: entry.id,
    seq,
    startedAt: Date.parse(entry.startedAt) || 0,
    method: entry.request.method,
    url: entry.request.url,
    host: entry.tunnel ? `${entry.tunnel.host}:${entry.tunnel.port}` : host,
    path,
    status: entry.response?.statusCode ?? 0,
    entryType: entry.entryType,
    contentType,
    typeLabel: typeLabelOf(entry.entryType, contentType),
    durationMs: entry.durationMs,
    size,
    tags: entry.tags ?? [],
    notes: entry.notes ?? '',
    error: entry.error ? `${entry.error.code}: ${entry.error.message}` : '',
    mapLocal: entry.mapLocal,
    ...(entry.injected ? { injected: entry.injected } : {}),
    ...(entry.modified?.rules.length ? { modifiedRules: entry.modified.rules } : {}),
    ...(entry.mapLocalMockId ? { mockId: entry.mapLocalMockId } : {}),
    haystack: (entry.request.url + headersText(entry.request.headers) + headersText(entry.response?.headers)).toLowerCase(),
  };
}

/** A row for a request in flight: what is known before the response (method, URL, start). */
export function pendingRow(entry: PendingEntry, seq: number): EntryRow {
  const { host, path } = splitUrl(entry.url);
  return {
    id: entry.id,
    seq,
    startedAt: Date.parse(entry.startedAt) || 0,
    method: entry.method,
    url: entry.url,
    host,
    path,
    status: 0,
    entryType: 'http',
    contentType: '',
    typeLabel: '',
    durationMs: -1,
    size: 0,
    tags: [],
    notes: '',
    error: '',
    mapLocal: false,
    haystack: entry.url.toLowerCase(),
    pending: true,
  };
}
