/**
 * Upstream-leg timings, measured by our forwarder (direct-forwarder.ts) on the request it sends; mockttp only
 * measures the downstream side.
 *
 * Phases (ms, -1 = did not happen): dns (lookup), connect (TCP), tls (handshake), send (socket ready → request
 * fully written), wait (written → response headers), recv (headers → last body byte).
 */
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

/** The per-exchange record the forwarder writes and capture reads. */
export interface UpstreamObserver {
  upstream?: UpstreamLeg;
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
