/**
 * Upstream-leg timings. mockttp only measures the downstream side, so we watch the real upstream request.
 * Node 20 publishes `http.client.request.start` only once the request is fully written, too late to see DNS or
 * connect, so we also wrap two methods of Node's Agent (every mockttp upstream request goes through a plain
 * http/https Agent): `addRequest` (a request starts, new or pooled socket) and `createConnection` (a new socket).
 * The exchange that caused the request is found through AsyncLocalStorage, entered by our request tap.
 *
 * Phases (ms, -1 = did not happen): dns (lookup), connect (TCP), tls (handshake), send (socket ready → request
 * fully written), wait (written → response headers), recv (headers → last body byte).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { HeaderPair, InterimResponse, Timings } from '../../../src-shared/model.js';
import type { ForwardTarget } from '../proxy/forward-target.js';

export interface UpstreamLeg {
  /** performance.now() stamps; undefined when not reached. */
  requestStart?: number;
  lookupStart?: number;
  lookupEnd?: number;
  connectEnd?: number;
  secureEnd?: number;
  /** The new socket failed before it connected (refused, unreachable, TLS): closes the phase that was running. */
  socketFailed?: number;
  requestSent?: number;
  responseHeaders?: number;
  responseEnd?: number;
  newSocket?: boolean;
  httpVersion?: string;
  remoteAddress?: string;
  remotePort?: number;
}

/** The per-exchange object our request tap stores in the async context. */
export interface UpstreamObserver {
  upstream?: UpstreamLeg;
  /** Idle limit on the upstream request; past it the request fails with ETIMEDOUT (a 502 for the client). */
  upstreamTimeoutMs?: number;
  /**
   * Why the upstream leg failed or the exchange was refused, set by the direct forwarder before it answers
   * 400/502/508; or what went wrong after a complete response (bytes past its end), which the client never sees.
   */
  failure?: { code: string; detail?: string };
  /** Where the direct forwarder sent the request, and the request head exactly as it was written there. */
  upstreamTarget?: ForwardTarget;
  upstreamHead?: string;
  /** 1xx answers the upstream sent before its final one. */
  interim?: InterimResponse[];
  /** The upstream's trailers (the client may not have received them, e.g. an HTTP/1.0 client). */
  responseTrailers?: HeaderPair[];
}

export const exchangeContext = new AsyncLocalStorage<UpstreamObserver>();

let installed = false;
const LEG = Symbol('traffic-recorder.upstream-leg');
type LegCarrier = ClientRequest & { [LEG]?: UpstreamLeg };

type AgentInternals = {
  addRequest(this: http.Agent, req: ClientRequest, options: unknown): void;
  createConnection(this: http.Agent, ...args: unknown[]): Socket | undefined;
};

export function watchUpstreamRequests(): void {
  if (installed) return;
  installed = true;
  const agentProto = http.Agent.prototype as unknown as AgentInternals;
  const addRequest = agentProto.addRequest;
  agentProto.addRequest = function timedAddRequest(req, options) {
    const observer = exchangeContext.getStore();
    if (observer) {
      observer.upstream = { requestStart: performance.now() };
      (req as LegCarrier)[LEG] = observer.upstream;
      const timeoutMs = observer.upstreamTimeoutMs;
      if (timeoutMs) {
        req.setTimeout(timeoutMs, () => {
          req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
        });
      }
    }
    return addRequest.call(this, req, options);
  };
  for (const proto of [http.Agent.prototype, https.Agent.prototype] as unknown as AgentInternals[]) {
    // https.Agent defines its own createConnection (TLS); http.Agent uses net's. Wrap whichever each owns.
    if (!Object.prototype.hasOwnProperty.call(proto, 'createConnection')) continue;
    const createConnection = proto.createConnection;
    proto.createConnection = function timedCreateConnection(...args) {
      const socket = createConnection.apply(this, args);
      const leg = exchangeContext.getStore()?.upstream;
      if (socket && leg) observeNewSocket(socket, leg);
      return socket;
    };
  }
  diagnosticsChannel.subscribe('http.client.request.start', (message) => {
    const { request } = message as { request: ClientRequest };
    const leg = (request as LegCarrier)[LEG];
    if (!leg) return;
    leg.requestSent = performance.now();
    request.once('response', (response: IncomingMessage) => {
      leg.responseHeaders = performance.now();
      leg.httpVersion = response.httpVersion;
      leg.remoteAddress = response.socket?.remoteAddress;
      leg.remotePort = response.socket?.remotePort;
      response.once('end', () => {
        leg.responseEnd = performance.now();
      });
    });
  });
}

function observeNewSocket(socket: Socket, leg: UpstreamLeg): void {
  leg.newSocket = true;
  leg.lookupStart = performance.now();
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

const round = (ms: number) => Math.round(ms * 1000) / 1000;
const span = (from: number | undefined, to: number | undefined) =>
  from === undefined || to === undefined ? -1 : round(Math.max(0, to - from));

/**
 * Build the entry's timings. `downstreamEnd` closes `recv` when the upstream body end was not observed
 * (e.g. the response was answered by the proxy itself). With no upstream leg at all every phase is -1
 * except `totalMs`.
 */
/** Timings of an entry whose request never went upstream (refused, a tunnel, a rejected handshake). */
export function noUpstreamTimings(totalMs = 0): Timings {
  return { dnsMs: -1, connectMs: -1, tlsMs: -1, sendMs: -1, waitMs: -1, recvMs: -1, totalMs };
}

export function buildTimings(leg: UpstreamLeg | undefined, exchangeStart: number, exchangeEnd: number): Timings {
  const totalMs = round(Math.max(0, exchangeEnd - exchangeStart));
  if (!leg) return { dnsMs: -1, connectMs: -1, tlsMs: -1, sendMs: -1, waitMs: -1, recvMs: -1, totalMs };
  const tcpStart = leg.lookupEnd ?? leg.lookupStart;
  const fresh = leg.newSocket === true;
  const dnsMs = fresh && leg.lookupEnd !== undefined ? span(leg.lookupStart, leg.lookupEnd) : -1;
  // A failed attempt still took time: the phase it failed in ends at the failure.
  const connectMs = fresh ? span(tcpStart, leg.connectEnd ?? leg.socketFailed) : -1;
  const tlsMs = fresh && leg.connectEnd !== undefined ? span(leg.connectEnd, leg.secureEnd ?? leg.socketFailed) : -1;
  const socketReady = fresh ? (leg.secureEnd ?? leg.connectEnd) : leg.requestStart;
  const sendMs = span(socketReady, leg.requestSent);
  const waitMs = span(leg.requestSent, leg.responseHeaders);
  const recvMs = span(leg.responseHeaders, leg.responseEnd ?? (leg.responseHeaders === undefined ? undefined : exchangeEnd));
  return { dnsMs, connectMs, tlsMs, sendMs, waitMs, recvMs, totalMs };
}
