import { randomUUID } from 'node:crypto';
import type { BodyInfo, Entry, HeaderPair } from '../../../src-shared/model.js';
import type { EntryBodies } from '../store/store-types.js';
import type { BodyAccumulator } from './body-accumulator.js';
import type { CapturedExchange } from './http-capture.js';
import { contentEncodingOf } from '../body/body-view.js';
import { entryHeadersAsText } from './header-text.js';
import { buildTimings } from './upstream-timings.js';
import { addWireExtras } from './wire-extras.js';

export function headerValue(headers: readonly HeaderPair[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of headers) if (key.toLowerCase() === lower) return value;
  return undefined;
}

function bodyInfo(body: BodyAccumulator, headers: readonly HeaderPair[]): BodyInfo {
  const info: BodyInfo = { size: body.size, capturedSize: body.keptSize, truncated: body.truncated };
  const encoding = contentEncodingOf(headers);
  if (encoding) info.contentEncoding = encoding;
  const type = headerValue(headers, 'content-type');
  if (type) info.contentType = type;
  return info;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export function buildHttpEntry(sessionId: string, exchange: CapturedExchange): { entry: Entry; bodies: EntryBodies } {
  const entry: Entry = {
    id: exchange.id ?? randomUUID(),
    sessionId,
    entryType: 'http',
    startedAt: new Date(exchange.startedAt).toISOString(),
    request: {
      method: exchange.method,
      url: exchange.url,
      httpVersion: exchange.httpVersion,
      headers: exchange.requestHeaders,
      body: bodyInfo(exchange.requestBody, exchange.requestHeaders),
      remoteAddress: exchange.remoteAddress,
      remotePort: exchange.remotePort,
    },
    durationMs: round(exchange.end - exchange.start),
    timings: buildTimings(exchange.upstream, exchange.start, exchange.end),
    tags: [],
    notes: '',
    mapLocal: false,
  };
  if (exchange.response) {
    entry.response = {
      statusCode: exchange.response.statusCode,
      statusMessage: exchange.response.statusMessage,
      httpVersion: exchange.upstream?.httpVersion ?? exchange.httpVersion,
      headers: exchange.response.headers,
      body: bodyInfo(exchange.responseBody, exchange.response.headers),
    };
  }
  if (exchange.error) entry.error = exchange.error;
  if (exchange.injected) entry.injected = exchange.injected;
  if (exchange.modified) entry.modified = exchange.modified;
  if (exchange.mapLocalMockId !== undefined) {
    entry.mapLocal = true;
    entry.mapLocalMockId = exchange.mapLocalMockId;
  }
  addWireExtras(entry, exchange);
  const bodies: EntryBodies = {};
  if (exchange.requestBody.keptSize) bodies.request = exchange.requestBody.payload();
  if (exchange.responseBody.keptSize) bodies.response = exchange.responseBody.payload();
  entryHeadersAsText(entry);
  return { entry, bodies };
}
