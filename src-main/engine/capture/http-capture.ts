/**
 * Capture of one HTTP exchange on the raw Node objects, before mockttp handles them (see mockttp-hooks.ts):
 * the request's wire headers, every body byte as it passes (first `bodyLimit` bytes kept), the response head as
 * Node serialized it, and the upstream leg's timings. Nothing here buffers beyond the capture limit or delays a
 * byte: bodies are observed, never held back.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EntryError, HeaderPair, InterimResponse } from '../../../src-shared/model.js';
import type { ModifiedExchange } from '../../../src-shared/modifications.js';
import type { InjectedToxic } from '../../../src-shared/toxics.js';
import type { ForwardTarget } from '../proxy/forward-target.js';
import { BodyAccumulator, toBuffer } from './body-accumulator.js';
import type { UpstreamLeg, UpstreamObserver } from './upstream-timings.js';
import { explainUpstreamError, upstreamErrorCode } from './upstream-errors.js';

export interface CapturedResponseHead {
  statusCode: number;
  statusMessage: string;
  headers: HeaderPair[];
}

export interface CapturedExchange {
  /** Set when the exchange was announced as pending: its entry must reuse the id so the row completes in place. */
  id?: string;
  startedAt: number;
  start: number;
  end: number;
  method: string;
  url: string;
  httpVersion: string;
  requestHeaders: HeaderPair[];
  requestBody: BodyAccumulator;
  requestTrailers?: HeaderPair[];
  response?: CapturedResponseHead;
  responseBody: BodyAccumulator;
  interim?: InterimResponse[];
  responseTrailers?: HeaderPair[];
  /** The request head as the direct forwarder wrote it upstream, and where. */
  upstreamRequest?: { head: string; target: ForwardTarget };
  upstream?: UpstreamLeg;
  error?: EntryError;
  remoteAddress?: string;
  remotePort?: number;
  /** What the toxics did (set by the capture stage at completion). */
  injected?: InjectedToxic;
  /** What the modification rules did (set by the capture stage at completion). */
  modified?: ModifiedExchange;
  /** The mock that answered it (map local; set by the capture stage at completion). */
  mapLocalMockId?: string;
}

export interface CaptureOptions {
  bodyLimit: number;
  /** The URL to record for this request, from its original (pre-mockttp) request line. */
  recordedUrl: (req: IncomingMessage) => string;
  onComplete: (exchange: CapturedExchange) => void;
  /** Called once the request head is read, before any byte goes upstream (pending rows). */
  onStart?: (exchange: CapturedExchange) => void;
  /** The exchange's observer when the pipeline already made one (the forwarder writes into it). */
  observer?: UpstreamObserver;
}

interface MockttpTaggedRequest extends IncomingMessage {
  tags?: string[];
}

export function pairHeaders(flat: readonly string[]): HeaderPair[] {
  const pairs: HeaderPair[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  return pairs;
}

/** Node keeps the serialized response head in `_header`: exact order, case and duplicates as sent. */
function responseHead(res: ServerResponse): CapturedResponseHead {
  const serialized = (res as ServerResponse & { _header?: string | null })._header;
  const headers: HeaderPair[] = [];
  if (typeof serialized === 'string') {
    const lines = serialized.split('\r\n');
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') break;
      const colon = line.indexOf(':');
      if (colon > 0) headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
  } else {
    for (const [name, value] of Object.entries(res.getHeaders())) {
      for (const v of Array.isArray(value) ? value : [value]) headers.push([name, String(v)]);
    }
  }
  return { statusCode: res.statusCode, statusMessage: res.statusMessage ?? '', headers };
}

/** Start capturing `req`/`res`; returns the async context mockttp must run in so upstream timings are seen. */
export function captureExchange(req: IncomingMessage, res: ServerResponse, options: CaptureOptions): UpstreamObserver {
  const exchange: CapturedExchange = {
    startedAt: Date.now(),
    start: performance.now(),
    end: 0,
    method: req.method ?? 'GET',
    url: options.recordedUrl(req),
    httpVersion: req.httpVersion,
    requestHeaders: pairHeaders(req.rawHeaders),
    requestBody: new BodyAccumulator(options.bodyLimit),
    responseBody: new BodyAccumulator(options.bodyLimit),
    remoteAddress: req.socket.remoteAddress,
    remotePort: req.socket.remotePort,
  };
  options.onStart?.(exchange);
  const observer: UpstreamObserver = options.observer ?? {};

  // eslint-disable-next-line @typescript-eslint/unbound-method -- called back below with .call(this), the stream's own this
  const push = req.push;
  req.push = function capturePush(chunk: unknown, encoding?: BufferEncoding) {
    if (chunk === null) exchange.requestBody.ended = true;
    else {
      const bytes = toBuffer(chunk, encoding);
      if (bytes) exchange.requestBody.add(bytes);
    }
    return push.call(this, chunk, encoding);
  };

  /* eslint-disable @typescript-eslint/unbound-method -- the originals are called back below with .apply(this), the response's own this */
  const write = res.write;
  const end = res.end;
  const writeHead = res.writeHead;
  /* eslint-enable @typescript-eslint/unbound-method */
  let failureBody: string | undefined;
  const failureCode = () => observer.failure?.code ?? upstreamErrorCode((req as MockttpTaggedRequest).tags);
  res.writeHead = function captureWriteHead(this: ServerResponse, ...args: unknown[]) {
    // 400 only for the forwarder's own refusals (two Host headers); any upstream's 400 passes untouched.
    const code = args[0] === 502 || args[0] === 508 || (args[0] === 400 && observer.failure) ? failureCode() : undefined;
    if (code) {
      // mockttp's own 502 body is a bare exception string; say what failed and where, in words.
      exchange.error = explainFailure(code, observer.failure?.detail);
      failureBody = `Traffic Recorder: ${exchange.error.message} (${code}) while forwarding ${exchange.method} ${exchange.url}\n`;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  };
  res.write = function captureWrite(this: ServerResponse, ...args: unknown[]) {
    const bytes = toBuffer(args[0], typeof args[1] === 'string' ? (args[1] as BufferEncoding) : undefined);
    if (bytes) exchange.responseBody.add(bytes);
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as typeof res.write;
  res.end = function captureEnd(this: ServerResponse, ...args: unknown[]) {
    if (failureBody !== undefined && exchange.error) {
      const detail = observer.failure ? undefined : failureDetail(args[0]);
      if (detail) exchange.error = { ...exchange.error, message: `${exchange.error.message}: ${detail}` };
      args = [failureBody];
    }
    if (typeof args[0] !== 'function') {
      const bytes = toBuffer(args[0], typeof args[1] === 'string' ? (args[1] as BufferEncoding) : undefined);
      if (bytes) exchange.responseBody.add(bytes);
    }
    return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof res.end;

  let done = false;
  const finish = (aborted: boolean) => {
    if (done) return;
    done = true;
    exchange.end = performance.now();
    exchange.responseBody.ended = !aborted;
    exchange.upstream = observer.upstream;
    if (res.headersSent || res.writableEnded) exchange.response = responseHead(res);
    recordWireExtras(exchange, req, observer);
    if (!exchange.error) {
      const code = failureCode();
      if (code) exchange.error = explainFailure(code, observer.failure?.detail);
      else if (aborted) {
        exchange.error = exchange.response
          ? { code: 'ABORTED', message: 'the connection closed before the response was complete' }
          : { code: 'ABORTED', message: 'the client closed the connection before a response was sent' };
      }
    }
    options.onComplete(exchange);
  };
  res.once('finish', () => finish(false));
  res.once('close', () => finish(!res.writableFinished));
  return observer;
}

/** Trailers both ways, interim answers, and the request as it went upstream: only what was there. */
function recordWireExtras(exchange: CapturedExchange, req: IncomingMessage, observer: UpstreamObserver): void {
  // mockttp's passthrough may have consumed the request through its own wrapper: rawTrailers is then unset.
  const trailers = req.complete ? req.rawTrailers : undefined;
  if (trailers && trailers.length > 0) exchange.requestTrailers = pairHeaders(trailers);
  if (observer.interim) exchange.interim = observer.interim;
  if (observer.responseTrailers) exchange.responseTrailers = observer.responseTrailers;
  if (observer.upstreamHead && observer.upstreamTarget) exchange.upstreamRequest = { head: observer.upstreamHead, target: observer.upstreamTarget };
}

/** A pipeline stage that failed says so itself (pipeline.ts StageFailure); anything else is the upstream's. */
function explainFailure(code: string, detail: string | undefined): EntryError {
  return code === 'STAGE_FAILED' && detail ? { code, message: detail } : explainUpstreamError(code, detail);
}

function failureDetail(body: unknown): string | undefined {
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : undefined;
  return text?.replace(/^Error:\s*/, '').trim().slice(0, 300) || undefined;
}
