/**
 * The upstream leg of a recorded HTTP/1 exchange, done by us rather than by mockttp's passthrough step.
 *
 * Why: mockttp stays the proxy's front (listener, protocol sniffing, CONNECT, TLS interception, WebSockets, and
 * its rule engine for anything that rewrites traffic), but for a plain recording exchange its request pipeline
 * (OngoingRequest, body buffers, response tracking stream, rule matching, passthrough options) cost us more CPU
 * per exchange than the whole of mitmproxy's. This module does what that passthrough does for HTTP/1, on the raw
 * Node objects: the same request line, wire headers (order and case kept), body streaming and back-pressure,
 * response head and trailers, 1xx forwarding, 502s on upstream failure, and aborts mirrored both ways. It also
 * measures the upstream leg directly (no async context needed) and keeps a per-session keep-alive pool.
 *
 * What it adds over mockttp: one retry of a GET/HEAD/OPTIONS/TRACE without a body when a reused keep-alive socket
 * turns out to have been closed by the upstream (the race every pooled client has; Go's transport retries exactly
 * these, RFC 9110 9.2.2), and loop checks: a destination that is this very listener, and the full 4-tuple of live
 * sockets (see mockttp-hooks.ts for mockttp's false positives).
 */
import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { UpstreamLeg, UpstreamObserver } from '../capture/upstream-timings.js';
import { pairHeaders } from '../capture/http-capture.js';
import { isLoopbackHost, normalizeIp } from './addresses.js';
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

  constructor(private readonly options: DirectForwarderOptions) {}

  /**
   * Forward `req` to `target` and stream the answer into `res`. Upstream failures are reported through
   * `observer.failure` before the 502 is written (capture turns them into the entry's error and the 502's words).
   */
  forward(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, observer: UpstreamObserver): void {
    if (pointsAtListener(target, req.socket) || isLoop(req.socket)) {
      observer.failure = { code: 'LOOP', detail: `${target.hostname}:${target.port} is this proxy itself` };
      respondFailure(res, 508, 'Loop Detected');
      return;
    }
    if (expectsContinue(req)) res.writeContinue();
    const hasBody = requestHasBody(req);
    this.send(req, res, target, observer, hasBody, false);
  }

  /** Close every pooled upstream socket (the session stopped). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private send(
    req: IncomingMessage,
    res: ServerResponse,
    target: ForwardTarget,
    observer: UpstreamObserver,
    hasBody: boolean,
    retry: boolean,
  ): void {
    const leg: UpstreamLeg = { requestStart: performance.now() };
    observer.upstream = leg;
    const secure = target.protocol === 'https:';
    const requestOptions: https.RequestOptions & { setDefaultHeaders?: boolean } = {
      method: req.method,
      hostname: target.hostname,
      port: target.port,
      path: target.path,
      // A flat raw array: Node writes names and values exactly as given, in order, and adds only framing it needs.
      headers: target.headers as unknown as http.OutgoingHttpHeaders,
      setHost: false,
      setDefaultHeaders: false,
      agent: secure ? this.httpsAgent : this.httpAgent,
    };
    if (secure) {
      requestOptions.servername = target.servername;
      requestOptions.rejectUnauthorized = !this.options.ignoreUpstreamCertErrors;
    }
    let upstream: ClientRequest;
    try {
      upstream = (secure ? https.request : http.request)(requestOptions);
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
    upstream.on('information', (info: { statusCode: number; rawHeaders: string[] }) => forwardInformational(res, info));
    let answered = false;
    upstream.once('response', (upstreamRes: IncomingMessage) => {
      answered = true;
      leg.responseHeaders = performance.now();
      leg.httpVersion = upstreamRes.httpVersion;
      leg.remoteAddress = upstreamRes.socket?.remoteAddress;
      leg.remotePort = upstreamRes.socket?.remotePort;
      this.relayResponse(res, upstreamRes, observer, leg);
    });
    upstream.on('error', (e: NodeJS.ErrnoException) => {
      // A pooled socket the upstream had already closed: nothing was answered, so a body-less request is safe to
      // send again once, on a new connection.
      if (!answered && !retry && !hasBody && upstream.reusedSocket && isStaleSocketError(e) && REPLAYABLE.has(req.method ?? '') && !res.destroyed) {
        this.send(req, res, target, observer, hasBody, true);
        return;
      }
      this.fail(req, res, observer, e, upstream);
    });
    // The client went away before the answer was complete: stop the upstream leg too.
    const abortUpstream = () => {
      if (!res.writableFinished) upstream.destroy();
    };
    res.once('close', abortUpstream);
    if (hasBody) {
      upstream.flushHeaders();
      req.pipe(upstream);
      const trailers = () => {
        if (req.rawTrailers.length > 0) upstream.addTrailers(pairHeaders(req.rawTrailers));
      };
      // Before pipe's own 'end' handler ends the upstream request, so trailers still go out with it.
      req.prependOnceListener('end', trailers);
    } else {
      upstream.end();
    }
  }

  private relayResponse(
    res: ServerResponse,
    upstreamRes: IncomingMessage,
    observer: UpstreamObserver,
    leg: UpstreamLeg,
  ): void {
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
    try {
      res.writeHead(status, upstreamRes.statusMessage ?? '', upstreamRes.rawHeaders as unknown as http.OutgoingHttpHeaders);
    } catch {
      // A header Node refuses to write (mockttp drops those too): forward the rest.
      res.writeHead(status, upstreamRes.statusMessage ?? '', validHeaders(upstreamRes.rawHeaders) as unknown as http.OutgoingHttpHeaders);
    }
    upstreamRes.once('end', () => {
      leg.responseEnd = performance.now();
      if (upstreamRes.rawTrailers.length > 0) {
        try {
          res.addTrailers(pairHeaders(upstreamRes.rawTrailers));
        } catch {
          // Invalid trailer values: the body is still complete without them.
        }
      }
    });
    upstreamRes.once('aborted', () => {
      // The upstream closed mid-body: the client must see a broken response, not a short one that looks whole.
      observer.failure ??= { code: 'ECONNRESET', detail: 'the upstream closed the connection mid-response' };
      res.destroy();
    });
    upstreamRes.on('error', () => res.destroy());
    relayBody(upstreamRes, res);
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

/**
 * Stream the upstream body to the client, each tick's chunks in one corked (vectored) write: a TLS upstream
 * delivers a body as 16 KB records, several per tick, and one TLS flush and syscall for them costs much less than
 * one per record. Back-pressure is checked once per tick, after the flush.
 */
function relayBody(from: IncomingMessage, to: ServerResponse): void {
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

/** 102-199 answers before the final one (100 Continue is ours to send, 101 is an upgrade: neither is relayed). */
function forwardInformational(res: ServerResponse, info: { statusCode: number; rawHeaders: string[] }): void {
  if (info.statusCode < 102 || info.statusCode > 199 || res.headersSent) return;
  // Node's own writeProcessing/writeEarlyHints write informational heads with _writeRaw; they cannot carry
  // arbitrary headers, so we do the same with the upstream's.
  const writeRaw = (res as ServerResponse & { _writeRaw?: (data: string, encoding: string) => boolean })._writeRaw;
  if (typeof writeRaw !== 'function') return;
  let head = `HTTP/1.1 ${info.statusCode} ${http.STATUS_CODES[info.statusCode] ?? 'Information'}\r\n`;
  const valid = validHeaders(info.rawHeaders);
  for (let i = 0; i + 1 < valid.length; i += 2) head += `${valid[i]}: ${valid[i + 1]}\r\n`;
  writeRaw.call(res, `${head}\r\n`, 'latin1');
}

// ---- loop detection: our own live upstream sockets, by local endpoint ----

const outgoing = new Map<string, Socket>();
const TRACKED = Symbol('traffic-recorder.outgoing');

function endpointKey(address: string | undefined, port: number | undefined): string {
  return `${normalizeIp(address)}|${port}`;
}

function trackOutgoing(socket: Socket): void {
  const tagged = socket as Socket & { [TRACKED]?: boolean };
  if (tagged[TRACKED] || socket.localPort === undefined) return;
  tagged[TRACKED] = true;
  const key = endpointKey(socket.localAddress, socket.localPort);
  outgoing.set(key, socket);
  socket.once('close', () => {
    if (outgoing.get(key) === socket) outgoing.delete(key);
  });
}

/** The destination is the listener this request came in on (checked before any connection is made). */
function pointsAtListener(target: ForwardTarget, incoming: Socket): boolean {
  if (target.port !== incoming.localPort) return false;
  const host = normalizeIp(target.hostname.toLowerCase()) ?? '';
  const local = normalizeIp(incoming.localAddress);
  return host === local || host === '0.0.0.0' || host === '::' || (isLoopbackHost(host) && local !== undefined && isLoopbackHost(local));
}

/** The incoming connection is one of our own upstream connections: the request would circle forever. */
function isLoop(incoming: Socket): boolean {
  if (outgoing.size === 0) return false;
  const out = outgoing.get(endpointKey(incoming.remoteAddress, incoming.remotePort));
  return out !== undefined && !out.destroyed && out.remotePort === incoming.localPort;
}

function watchNewSocket(socket: Socket, leg: UpstreamLeg): void {
  leg.newSocket = true;
  leg.lookupStart = leg.requestStart;
  socket.once('lookup', () => {
    leg.lookupEnd = performance.now();
  });
  socket.once('connect', () => {
    leg.connectEnd = performance.now();
    trackOutgoing(socket);
  });
  socket.once('secureConnect', () => {
    leg.secureEnd = performance.now();
  });
  socket.once('error', () => {
    leg.socketFailed ??= performance.now();
  });
}
