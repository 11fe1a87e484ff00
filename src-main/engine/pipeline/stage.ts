/**
 * The stage interface of the exchange pipeline (see docs/pipeline.md). A stage is one small module with optional
 * hooks; the pipeline (pipeline.ts) compiles, per session, the list of stages that implement each hook, so a
 * hook nobody implements costs nothing per exchange. Stages are ordered once, in stages.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Transform } from 'node:stream';
import type { ModifiedExchange } from '../../../src-shared/modifications.js';
import type { InjectedToxic } from '../../../src-shared/toxics.js';
import type { CapturedExchange } from '../capture/http-capture.js';
import type { UpstreamObserver } from '../capture/upstream-timings.js';
import type { ForwardTarget } from '../proxy/forward-target.js';
import type { Pipeline } from './pipeline.js';

/** An answer the proxy gives itself instead of forwarding. */
export interface LocalAnswer {
  status: number;
  message: string;
  /** The body (text/plain). Left out when `failure` is set: capture then writes the words for it. */
  text?: string;
  /**
   * An answer of its own making (map local): these headers, flat (name, value, name, value...), instead of the
   * text/plain Content-Type, and `body` instead of `text`. The proxy frames it (Content-Length) itself.
   */
  headers?: readonly string[];
  body?: Uint8Array;
  /** Recorded as the entry's error (the 508 of a loop, the 400 of two Host headers). */
  failure?: { code: string; detail: string };
  /**
   * No answer at all (toxics): `reset` resets the client's connection, `hold` leaves the request unanswered until
   * the client goes away. Such an answer has status 0 (as HAR writes a request that got no response).
   */
  withhold?: 'reset' | 'hold';
}

/** One HTTP exchange as the stages see it. One object per exchange, reused by every hook. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The URL recorded for this request. */
  readonly url: URL;
  /** Where the forwarder sends it (stages may change its fields: destination, path, headers). */
  readonly target: ForwardTarget;
  /** Whether the exchange becomes an entry; head hooks may clear it (scope filter, refusals). */
  record: boolean;
  /** Set by a head hook or the local-answer hooks: the proxy answers this itself. */
  answer: LocalAnswer | undefined;
  /** Shared with capture and the forwarder: upstream timings, failures, interim answers. */
  readonly observer: UpstreamObserver;
  /** Set by a head or local-answer hook: the proxy waits this long before it answers or forwards (toxics). */
  delayMs?: number;
  /** What the toxics did to this exchange; capture puts it on the entry. */
  injected?: InjectedToxic;
  /** What the modification rules did to this exchange; capture puts it on the entry. */
  modified?: ModifiedExchange;
  /** The mock map local answered this exchange with; capture marks the entry `mapLocal`. */
  mapLocalMockId?: string;
  /** The pipeline this exchange started with (a configuration replaced meanwhile applies to the next one). */
  readonly pipeline: Pipeline;
}

/** A mutable response head, before it is written to the client. `headers` is flat: name, value, name, value... */
export interface ResponseHead {
  statusCode: number;
  statusMessage: string;
  headers: string[];
}

/** A CONNECT tunnel or raw passthrough, before its bytes flow. */
export interface TunnelExchange {
  readonly kind: 'tls' | 'raw';
  readonly socket: Socket;
  readonly hostname: string;
  readonly port: number | undefined;
  record: boolean;
  /** Set by a hook to close the tunnel instead of opening it. */
  refused: boolean;
}

/** A WebSocket (or other) upgrade request, before it goes upstream. */
export interface UpgradeExchange {
  readonly req: IncomingMessage;
  readonly socket: Socket;
  readonly url: URL | undefined;
  readonly target: ForwardTarget | undefined;
  record: boolean;
  answer: LocalAnswer | undefined;
  readonly pipeline: Pipeline;
}

/** What completion hooks get: an HTTP exchange or an upgrade's handshake. */
export type CompletedExchange = Exchange | UpgradeExchange;

export interface Stage {
  readonly name: string;
  /** The request head is read; nothing went upstream yet. May clear `record` or set `answer`. */
  onRequestHead?(exchange: Exchange): void;
  /** Whether to answer locally; the first answer of the stages in order wins (runs after every head hook). */
  answerLocally?(exchange: Exchange): LocalAnswer | undefined;
  /** A stream the request body passes through on its way upstream (back-pressure kept), or undefined. */
  requestBody?(exchange: Exchange): Transform | undefined;
  /** The upstream's head, before the client gets it: status and headers may be changed in place. */
  onResponseHead?(exchange: Exchange, head: ResponseHead): void;
  /** A stream the response body passes through to the client, or undefined. Change framing headers in onResponseHead. */
  responseBody?(exchange: Exchange): Transform | undefined;
  /** The exchange is over; `captured` is its capture when it was recorded. */
  onComplete?(exchange: CompletedExchange, captured: CapturedExchange | undefined): void;
  /** A tunnel is about to open: may refuse it or leave it unrecorded. */
  onTunnel?(tunnel: TunnelExchange): void;
  /** An upgrade is about to go upstream: may set `answer` (refuse) or clear `record`. */
  onUpgrade?(upgrade: UpgradeExchange): void;
}
