/**
 * The upstream leg of every HTTP/1 exchange, recorded or not, done by us rather than by mockttp's passthrough step.
 *
 * Why: mockttp stays the proxy's front (listener, protocol sniffing, CONNECT, TLS interception, WebSocket
 * upgrades), but its request pipeline (OngoingRequest, body buffers, response tracking stream, rule matching,
 * passthrough options) cost us more CPU per exchange than the whole of mitmproxy's, and would skip the pipeline's
 * body and response-head stages. This module does what that passthrough does for HTTP/1, on the raw
 * Node objects: the same request line, wire headers (order and case kept), body streaming and back-pressure,
 * response head and trailers, 1xx forwarding, 502s on upstream failure, and aborts mirrored both ways. It also
 * measures the upstream leg directly (no async context needed) and keeps a per-session keep-alive pool.
 *
 * What it adds over mockttp: one retry of a GET/HEAD/OPTIONS/TRACE without a body when a reused keep-alive socket
 * turns out to have been closed by the upstream (the race every pooled client has; Go's transport retries exactly
 * these, RFC 9110 9.2.2), and loop checks: a destination that is this very listener, and a `Via` token of this
 * forwarder (random per session and process, as Squid and mitmproxy mark their requests) coming back to it. The
 * token, not the TCP 4-tuple, is what tells a loop from a chain of sessions (forward -> reverse, reverse -> reverse).
 *
 * Fidelity (see the README's "What gets recorded"): the upstream decides on `Expect: 100-continue`; the response
 * head is relayed as soon as it arrives (SSE, long polls); an HTTP/1.0 client gets 1.0-compatible framing; bytes
 * beyond a response's declared length are dropped and recorded as the entry's error; obs-fold in a response head
 * is unfolded (RFC 9112 5.2), and two Host headers are refused (RFC 9112 3.2).
 */
import { randomBytes } from 'node:crypto';
import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { UpstreamLeg, UpstreamObserver } from '../capture/upstream-timings.js';
import { pairHeaders } from '../capture/http-capture.js';
import type { Exchange, ResponseHead } from '../pipeline/stage.js';
import { StageFailure } from '../pipeline/pipeline.js';
import { expectsContinue } from './mockttp-hooks.js';
import type { ForwardTarget } from './forward-target.js';

/** Idle upstream sockets are closed after this long: below the 5 s keep-alive of Node servers, to lose fewer races. */
const IDLE_SOCKET_MS = 4_000;

export interface DirectForwarderOptions {
  /** Accept any upstream certificate (the session's `ignoreUpstreamCertErrors`). */
  ignoreUpstreamCertErrors: boolean;
  /** Idle limit on an upstream request; past it the request fails with ETIMEDOUT (a 502 for the client). */
  upstreamTimeoutMs?: number;
}

export class DirectForwarder {
  private readonly httpAgent = new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' });
  /** Our mark on every request we send: seeing it come back in is a real loop (pipeline/loop-check-stage.ts). */
  readonly viaToken = `traffic-recorder-${randomBytes(6).toString('hex')}`;
  private readonly via = `1.1 ${this.viaToken}`;

  constructor(private readonly options: DirectForwarderOptions) {}

  /**
   * Forward the exchange's request to its target and stream the answer into its response, through the pipeline's
   * body and response-head stages. The pipeline's head stages have run (loop checks, refusals). Upstream failures
   * are reported through `observer.failure` before the 502 is written (capture turns them into the entry's error
   * and the 502's words).
   */
  forward(exchange: Exchange): void {
    const { req, target } = exchange;
    // A fresh array unless forward-target.ts already copied the client's headers.
    target.headers = target.headers === req.rawHeaders ? target.headers.concat('Via', this.via) : (target.headers.push('Via', this.via), target.headers);
    exchange.observer.upstreamTarget = target;
    this.send(exchange, target, requestHasBody(req), false);
  }

  /** Close every pooled upstream socket (the session stopped). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private send(exchange: Exchange, target: ForwardTarget, hasBody: boolean, retry: boolean): void {
    const { req, res, observer } = exchange;
    const leg: UpstreamLeg = { requestStart: performance.now() };
    observer.upstream = leg;
    let upstream: ClientRequest;
    try {
      upstream = this.request(req.method ?? 'GET', target);
    } catch (e) {
      // Invalid header values the client sent (Node refuses to write them) and similar: nothing went out.
      this.fail(req, res, observer, e as NodeJS.ErrnoException, undefined);
      return;
    }
    const timeoutMs = this.options.upstreamTimeoutMs;
    if (timeoutMs) {
      upstream.setTimeout(timeoutMs, () => {
        upstream.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
    }
    upstream.once('socket', (socket: Socket) => {
      if (socket.connecting) watchNewSocket(socket, leg);
    });
    upstream.once('finish', () => {
      leg.requestSent = performance.now();
    });
    upstream.on('information', (info: InformationalHead) => relayInformational(req, res, info, observer));
    let answer: IncomingMessage | undefined;
    let source: Readable = req;
    upstream.once('response', (upstreamRes: IncomingMessage) => {
      answer = upstreamRes;
      leg.responseHeaders = performance.now();
      leg.httpVersion = upstreamRes.httpVersion;
      leg.remoteAddress = upstreamRes.socket?.remoteAddress;
      leg.remotePort = upstreamRes.socket?.remotePort;
      this.relayResponse(exchange, upstream, upstreamRes, leg, source);
    });
    upstream.on('error', (e: NodeJS.ErrnoException) => {
      if (answer?.complete) {
        // The response was whole and is being delivered. A parse error now means what followed it (bytes past its
        // Content-Length) was not HTTP: the client keeps the declared body, the entry says what was dropped. Any
        // other error (the upstream hanging up on a request it already answered) changes nothing for the client.
        if (e.code?.startsWith('HPE_')) observer.failure ??= trailingGarbage(e);
        return;
      }
      // A pooled socket the upstream had already closed: nothing was answered, so a body-less request is safe to
      // send again once, on a new connection.
      if (!answer && !retry && !hasBody && upstream.reusedSocket && isStaleSocketError(e) && REPLAYABLE.has(req.method ?? '') && !res.destroyed) {
        this.send(exchange, target, hasBody, true);
        return;
      }
      this.fail(req, res, observer, e, upstream);
    });
    // The client went away before the answer was complete: stop the upstream leg too.
    const abortUpstream = () => {
      if (!res.writableFinished) upstream.destroy();
    };
    res.once('close', abortUpstream);
    if (hasBody && exchange.pipeline.transformsRequestBody) {
      // The request body as the stages leave it: the client's stream itself unless a stage transforms it.
      const staged = exchange.pipeline.requestBodyChain(exchange, req, (failure) => this.fail(req, res, observer, failure, upstream));
      if (staged instanceof StageFailure) {
        this.fail(req, res, observer, staged, upstream);
        return;
      }
      source = staged;
    }
    if (hasBody) {
      // The head goes now: with `Expect: 100-continue` the upstream decides whether the client sends the body.
      upstream.flushHeaders();
      source.pipe(upstream);
      const trailers = () => {
        if (req.rawTrailers.length > 0) upstream.addTrailers(pairHeaders(req.rawTrailers));
      };
      // Before pipe's own 'end' handler ends the upstream request, so trailers still go out with it.
      req.prependOnceListener('end', trailers);
    } else {
      upstream.end();
    }
    observer.upstreamHead = (upstream as ClientRequest & { _header?: string | null })._header ?? undefined;
  }

  private request(method: string, target: ForwardTarget): ClientRequest {
    const secure = target.protocol === 'https:';
    const requestOptions: https.RequestOptions & { setDefaultHeaders?: boolean } = {
      method,
      hostname: target.hostname,
      port: target.port,
      path: target.path,
      // A flat raw array: Node writes names and values exactly as given, in order, and adds only framing it needs.
      headers: target.headers,
      setHost: false,
      setDefaultHeaders: false,
      // Lenient only towards what the upstream answers, never towards clients: it lets obs-fold heads through
      // (unfolded, RFC 9112 5.2). Framing stays ours: the client gets a body framed by us (see relayResponse).
      insecureHTTPParser: true,
      agent: secure ? this.httpsAgent : this.httpAgent,
    };
    if (secure) {
      requestOptions.servername = target.servername;
      requestOptions.rejectUnauthorized = !this.options.ignoreUpstreamCertErrors;
    }
    return (secure ? https.request : http.request)(requestOptions);
  }

  private relayResponse(exchange: Exchange, upstream: ClientRequest, upstreamRes: IncomingMessage, leg: UpstreamLeg, source: Readable): void {
    const { req, res, observer } = exchange;
    if (res.destroyed) {
      upstreamRes.destroy();
      return;
    }
    const status = upstreamRes.statusCode ?? 502;
    // Node must not add its own Date/Connection/framing headers: the client gets the upstream's head as it was.
    res.removeHeader('connection');
    res.removeHeader('content-length');
    res.removeHeader('transfer-encoding');
    res.removeHeader('date');
    const head: ResponseHead = { statusCode: status, statusMessage: upstreamRes.statusMessage ?? '', headers: framedFor(req, upstreamRes.rawHeaders) };
    if (exchange.pipeline.seesResponseHead) {
      if (head.headers === upstreamRes.rawHeaders) head.headers = head.headers.slice();
      const failure = exchange.pipeline.responseHead(exchange, head);
      if (failure) {
        this.fail(req, res, observer, failure, upstream);
        return;
      }
    }
    writeResponseHead(res, head);
    // Node sends a head with the first body write; a body that comes later (SSE, long polls) must not hold it back.
    if (!upstreamRes.complete) setImmediate(flushHead, res);
    upstreamRes.once('end', () => {
      leg.responseEnd = performance.now();
      if (upstreamRes.rawTrailers.length > 0) this.relayTrailers(res, upstreamRes, observer);
      // Answered before the whole request went up (a 417 to `Expect`, an early 413): the connection is mid-request.
      if (!upstream.writableEnded) abandonRequest(req, source, upstream);
    });
    upstreamRes.once('aborted', () => {
      // The upstream closed mid-body: the client must see a broken response, not a short one that looks whole.
      observer.failure ??= { code: 'ECONNRESET', detail: 'the upstream closed the connection mid-response' };
      res.destroy();
    });
    upstreamRes.on('error', () => res.destroy());
    this.relayStagedBody(exchange, upstream, upstreamRes);
  }

  /** The response body through the stages' streams, if any: a stage that fails ends the response (502 or reset). */
  private relayStagedBody(exchange: Exchange, upstream: ClientRequest, upstreamRes: IncomingMessage): void {
    if (!exchange.pipeline.transformsResponseBody) {
      relayBody(upstreamRes, exchange.res);
      return;
    }
    const { req, res, observer } = exchange;
    const staged = exchange.pipeline.responseBodyChain(exchange, upstreamRes, (failure) => this.fail(req, res, observer, failure, upstream));
    if (staged instanceof StageFailure) this.fail(req, res, observer, staged, upstream);
    else relayBody(staged, res);
  }

  private relayTrailers(res: ServerResponse, upstreamRes: IncomingMessage, observer: UpstreamObserver): void {
    const trailers = pairHeaders(upstreamRes.rawTrailers);
    observer.responseTrailers = trailers;
    try {
      res.addTrailers(trailers);
    } catch {
      // Invalid trailer values: the body is still complete without them.
    }
  }

  private fail(
    req: IncomingMessage,
    res: ServerResponse,
    observer: UpstreamObserver,
    e: NodeJS.ErrnoException,
    upstream: ClientRequest | undefined,
  ): void {
    upstream?.destroy();
    if (res.destroyed || res.writableEnded) return;
    observer.failure ??= { code: e.code ?? 'EUPSTREAM', detail: e.message };
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // The request body may still be arriving: let it drain so the client sees the 502 instead of a reset.
    req.resume();
    respondFailure(res, 502, 'Bad Gateway');
  }
}

interface InformationalHead {
  statusCode: number;
  statusMessage: string;
  rawHeaders: string[];
}

/**
 * The response head for this client. The body is always framed by us (Node), so a `Content-Length` beside a
 * `Transfer-Encoding` (which the lenient parser accepts; the body was read as chunked) is dropped, as RFC 9112 6.3
 * tells an intermediary to; an HTTP/1.0 client cannot read chunked framing (RFC 9112 6.1), so it gets no
 * `Transfer-Encoding` and a close-delimited body instead (Node closes the connection after it).
 */
function framedFor(req: IncomingMessage, raw: string[]): string[] {
  const http10 = req.httpVersionMajor === 1 && req.httpVersionMinor === 0;
  let te = -1;
  let cl = -1;
  for (let i = 0; i < raw.length; i += 2) {
    const length = raw[i]!.length;
    if (length === 17 && raw[i]!.toLowerCase() === 'transfer-encoding') te = i;
    else if (length === 14 && raw[i]!.toLowerCase() === 'content-length') cl = i;
  }
  if (te < 0 || (!http10 && cl < 0)) return raw;
  const drop = http10 ? new Set(['transfer-encoding', 'trailer']) : new Set(['content-length']);
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (!drop.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  return out;
}

function flushHead(res: ServerResponse): void {
  const pending = (res as ServerResponse & { _headerSent?: boolean })._headerSent === false;
  if (pending && !res.destroyed && !res.writableEnded) res.flushHeaders();
}

function writeResponseHead(res: ServerResponse, head: ResponseHead): void {
  try {
    res.writeHead(head.statusCode, head.statusMessage, head.headers as unknown as http.OutgoingHttpHeaders);
  } catch {
    // A header Node refuses to write (mockttp drops those too): forward the rest.
    res.writeHead(head.statusCode, head.statusMessage, validHeaders(head.headers) as unknown as http.OutgoingHttpHeaders);
  }
}

/** Stop sending a request the upstream has already answered; the client's unsent body is read and dropped. */
function abandonRequest(req: IncomingMessage, source: Readable, upstream: ClientRequest): void {
  source.unpipe(upstream);
  if (source !== req) req.unpipe();
  if (!req.complete) req.resume();
  upstream.destroy();
}

function trailingGarbage(e: NodeJS.ErrnoException): { code: string; detail: string } {
  const parse = e as NodeJS.ErrnoException & { bytesParsed?: number; rawPacket?: Buffer };
  const extra = parse.rawPacket && parse.bytesParsed !== undefined ? parse.rawPacket.length - parse.bytesParsed : undefined;
  const amount = extra && extra > 0 ? `at least ${extra} bytes` : 'bytes';
  return { code: 'UPSTREAM_EXCESS_DATA', detail: `${amount} after the end of the response (${e.code ?? e.message})` };
}

/**
 * Stream the upstream body to the client, each tick's chunks in one corked (vectored) write: a TLS upstream
 * delivers a body as 16 KB records, several per tick, and one TLS flush and syscall for them costs much less than
 * one per record. Back-pressure is checked once per tick, after the flush.
 */
function relayBody(from: Readable, to: ServerResponse): void {
  let corked = false;
  const resume = () => from.resume();
  const uncork = () => {
    corked = false;
    to.uncork();
    if (to.writableNeedDrain && !to.destroyed) {
      from.pause();
      to.once('drain', resume);
    }
  };
  from.on('data', (chunk: Buffer) => {
    if (!corked) {
      corked = true;
      to.cork();
      process.nextTick(uncork);
    }
    if (!to.destroyed) to.write(chunk);
  });
  from.once('end', () => to.end());
}

function respondFailure(res: ServerResponse, status: number, message: string): void {
  // The body is written by capture (http-capture.ts), which says in words what failed.
  res.writeHead(status, message, { 'content-type': 'text/plain; charset=utf-8' });
  res.end();
}

function requestHasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/** Safe to send twice: the upstream may have read the first copy before the connection broke. */
const REPLAYABLE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

function isStaleSocketError(e: NodeJS.ErrnoException): boolean {
  return e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.code === 'ECONNABORTED';
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const INVALID_VALUE = /[^\t\x20-\x7E\x80-\xFF]/;

function validHeaders(flat: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (TOKEN.test(flat[i]!) && !INVALID_VALUE.test(flat[i + 1]!)) out.push(flat[i]!, flat[i + 1]!);
  }
  return out;
}

/**
 * An interim (1xx) answer: recorded, and relayed before the final one. 100 Continue goes to a client that asked
 * for it (the upstream, not we, decided the body is welcome); 101 is an upgrade and never arrives here.
 */
function relayInformational(req: IncomingMessage, res: ServerResponse, info: InformationalHead, observer: UpstreamObserver): void {
  (observer.interim ??= []).push({ statusCode: info.statusCode, statusMessage: info.statusMessage ?? '', headers: pairHeaders(info.rawHeaders) });
  if (res.headersSent || res.destroyed) return;
  if (info.statusCode === 100) {
    if (expectsContinue(req) && !(res as ServerResponse & { _sent100?: boolean })._sent100) res.writeContinue();
    return;
  }
  if (info.statusCode < 102 || info.statusCode > 199) return;
  // Node's own writeProcessing/writeEarlyHints write informational heads with _writeRaw; they cannot carry
  // arbitrary headers, so we do the same with the upstream's.
  const writeRaw = (res as ServerResponse & { _writeRaw?: (data: string, encoding: string) => boolean })._writeRaw;
  if (typeof writeRaw !== 'function') return;
  let head = `HTTP/1.1 ${info.statusCode} ${http.STATUS_CODES[info.statusCode] ?? 'Information'}\r\n`;
  const valid = validHeaders(info.rawHeaders);
  for (let i = 0; i + 1 < valid.length; i += 2) head += `${valid[i]}: ${valid[i + 1]}\r\n`;
  writeRaw.call(res, `${head}\r\n`, 'latin1');
}

function watchNewSocket(socket: Socket, leg: UpstreamLeg): void {
  leg.newSocket = true;
  leg.lookupStart = leg.requestStart;
  socket.once('lookup', () => {
    leg.lookupEnd = performance.now();
  });
  socket.once('connect', () => {
    leg.connectEnd = performance.now();
  });
  socket.once('secureConnect', () => {
    leg.secureEnd = performance.now();
  });
  socket.once('error', () => {
    leg.socketFailed ??= performance.now();
  });
}
