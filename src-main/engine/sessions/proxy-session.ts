/**
 * One recording proxy: a mockttp server on its own port, with our capture taps (see mockttp-hooks.ts).
 * Reverse mode forwards everything to one target; forward mode is a classic proxy (absolute-form requests
 * recorded, CONNECT tunnels passed through blind and recorded as tunnel entries).
 *
 * mockttp is the listener (protocol sniffing, CONNECT, TLS interception, WebSocket upgrades), never the rule engine:
 * every HTTP request runs the session's pipeline and goes upstream through our forwarder (direct-forwarder.ts), and
 * mockttp's request rules are not even registered. Only WebSocket upgrades are handed to mockttp, after their stages.
 */
import { getLocal, type ClientError, type Mockttp, type MockttpHttpsOptions } from 'mockttp';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { EngineLimits } from '../../../src-shared/engine-config.js';
import type { MitmConfig, ScopeFilters } from '../../../src-shared/model.js';
import type { LocalMock } from '../../../src-shared/mocks.js';
import type { SessionModifications } from '../../../src-shared/modifications.js';
import type { SessionToxics } from '../../../src-shared/toxics.js';
import type { SessionRecord } from '../store/store-types.js';
import type { CapturedExchange } from '../capture/http-capture.js';
import { startWithHooks, type TlsFailureTap } from '../proxy/mockttp-hooks.js';
import type { UpstreamPolicy } from '../proxy/upstream-policy.js';
import { DirectForwarder } from '../proxy/direct-forwarder.js';
import { forForward, forReverse, reversePath, reverseTarget, type ReverseTarget } from '../proxy/forward-target.js';
import type { ConnectionLimits } from '../proxy/connection-guards.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { Exchange, LocalAnswer, Stage, TunnelExchange, UpgradeExchange } from '../pipeline/stage.js';
import { compilePipeline } from '../pipeline/stages.js';
import { invalidWebSocketHandshake, refuseUpgrade } from './upgrade-handshake.js';

const MOCKTTP_BODY_BUFFER = 0;

export interface TunnelRecord {
  startedAt: number;
  host: string;
  port: number;
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
  remoteAddress?: string;
  remotePort?: number;
  kind: 'tls' | 'raw';
  error?: string;
}

/** A TLS handshake that a client broke off inside an intercepted tunnel: usually our CA is not trusted. */
export interface TlsRejection {
  startedAt: number;
  host: string;
  port?: number;
  cause: string;
  remoteAddress?: string;
  remotePort?: number;
}

export interface ProxySessionDeps extends Pick<EngineLimits, 'bodyLimit' | 'upstreamTimeoutMs'> {
  /** Key and certificate mockttp needs to sniff TLS in CONNECT tunnels (forward mode). */
  tlsMaterial: () => Promise<{ key: string; cert: string }>;
  onExchange: (exchange: CapturedExchange) => void;
  onTunnel: (tunnel: TunnelRecord) => void;
  /** An exchange has begun (may set `exchange.id` to announce it as pending). */
  onExchangeStart?: (exchange: CapturedExchange) => void;
  /** A begun exchange that the scope filters drop on its status: a pending row must go. */
  onExchangeDropped?: (exchange: CapturedExchange) => void;
  /** The install CA's `https` options for interception, with the session's host lists applied. */
  mitmHttps?: (mitm: MitmConfig) => Promise<MockttpHttpsOptions>;
  onTlsRejection?: (rejection: TlsRejection) => void;
  /** A request mockttp's parser refused (malformed HTTP): recorded so that a refusal is never silent. */
  onClientError?: (error: ClientError) => void;
  /** Upstream hosts this proxy may contact (default: any). */
  upstreamPolicy?: UpstreamPolicy;
  /** Timeouts and the connection cap of this proxy's port (connection-guards.ts). */
  connectionLimits?: ConnectionLimits;
  /** Stages run after the built-in ones (pipeline/stages.ts). */
  extraStages?: readonly Stage[];
}

/** What a session's pipeline is compiled from, each part replaceable live. */
interface PipelineRules {
  filters: ScopeFilters;
  toxics: SessionToxics | undefined;
  modifications: SessionModifications | undefined;
  /** Map local's mocks (the namespace's, in the order tried); undefined when map local is off. */
  mocks: readonly LocalMock[] | undefined;
}

export class ProxySession {
  private server: Mockttp | undefined;
  private rules: PipelineRules;
  /** Compiled from the configuration; replaced whole by replaceConfig, read once per exchange. */
  private pipeline: Pipeline | undefined;
  private readonly target: URL | undefined;
  private readonly reverse: ReverseTarget | undefined;
  private direct: DirectForwarder | undefined;

  /** `mocks`: map local's, when the session has it on (they live in the mock store, not in the record). */
  constructor(
    readonly config: SessionRecord,
    private readonly deps: ProxySessionDeps,
    mocks?: readonly LocalMock[],
  ) {
    this.rules = {
      filters: config.filters,
      toxics: config.toxics,
      modifications: config.modifications,
      mocks: config.mapLocal?.enabled ? (mocks ?? []) : undefined,
    };
    this.target = config.targetUrl ? new URL(config.targetUrl) : undefined;
    this.reverse = this.target ? reverseTarget(this.target) : undefined;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  async start(port: number, host: string): Promise<void> {
    const forward = this.config.mode === 'forward';
    const intercept = forward && this.config.mitm?.enabled === true;
    if (intercept && !this.deps.mitmHttps) throw new Error('internal: interception needs the certificate authority');
    const https = intercept
      ? await this.deps.mitmHttps!(this.config.mitm!)
      : forward
        ? { ...(await this.deps.tlsMaterial()), tlsPassthrough: [{ hostname: '*' }] }
        : undefined;
    const direct = this.directForwarder();
    // Compiled before the port opens, so no exchange ever finds the session without its stages.
    this.direct = direct;
    try {
      this.pipeline = this.compile(this.rules);
      this.server = await this.startServer(port, host, forward, intercept, https);
    } catch (e) {
      this.pipeline = undefined;
      this.direct = undefined;
      direct.close();
      throw e;
    }
  }

  private directForwarder(): DirectForwarder {
    return new DirectForwarder({ ignoreUpstreamCertErrors: this.config.ignoreUpstreamCertErrors === true, upstreamTimeoutMs: this.deps.upstreamTimeoutMs });
  }

  private async startServer(port: number, host: string, forward: boolean, intercept: boolean, https: MockttpHttpsOptions | undefined): Promise<Mockttp> {
    const server = getLocal({
      recordTraffic: false,
      // Capture keeps its own copy of the first bodyLimit bytes (http-capture.ts). mockttp's buffers would only
      // copy every body again for events we do not read (and replay-buffer uploads, #211): let them drop at once.
      maxBodySize: MOCKTTP_BODY_BUFFER,
      http2: false,
      suggestChanges: false,
      debug: false,
      ...(https ? { https } : {}),
      // Raw (neither HTTP nor TLS) bytes in a tunnel go through blind, as a tunnel entry.
      ...(forward ? { passthrough: ['unknown-protocol' as const] } : {}),
    });
    // mockttp drops listeners on stop() and wants them registered before start().
    const onClientError = this.deps.onClientError;
    if (onClientError) await server.on('client-error', (error) => onClientError(error));
    await startWithHooks(
      {
        listenHost: host,
        onRequest: (req, res) => this.tapRequest(req, res),
        onTunnel: (kind, socket, hostname, tunnelPort, next) => this.tapTunnel(kind, socket, hostname, tunnelPort, next),
        onUpgrade: (req, socket, _head, next) => this.tapUpgrade(req, socket, next),
        ...(this.deps.connectionLimits ? { connectionLimits: this.deps.connectionLimits, connectionRefusal: () => this.connectionRefusal() } : {}),
        ...(intercept ? { onTlsFailure: (failure: Parameters<TlsFailureTap>[0]) => this.tapTlsFailure(failure) } : {}),
      },
      () => server.start(port),
    );
    try {
      // WebSocket upgrades only: HTTP requests never reach mockttp's rules (tapRequest forwards every one itself).
      const tls = this.config.ignoreUpstreamCertErrors ? { ignoreHostHttpsErrors: true } : {};
      if (forward) {
        await server.forAnyWebSocket().thenPassThrough(tls);
      } else {
        const target = this.target!;
        await server.forAnyWebSocket().thenForwardTo(`${target.protocol}//${target.host}`, tls);
      }
    } catch (e) {
      await server.stop().catch(() => undefined);
      throw e;
    }
    return server;
  }

  /**
   * Replace the scope filters while running: the next exchange (on any connection, open ones included) is judged
   * by them; exchanges under way finish with the pipeline they started with. Nothing is closed.
   */
  replaceConfig(filters: ScopeFilters): void {
    this.recompile({ filters });
  }

  /** The toxics replaced live, as replaceConfig replaces filters (failFirst counts and seeded sequences restart). */
  replaceToxics(toxics: SessionToxics | undefined): void {
    this.recompile({ toxics });
  }

  /** The modification rules replaced live, the same way (the next exchange on any connection takes them). */
  replaceModifications(modifications: SessionModifications | undefined): void {
    this.recompile({ modifications });
  }

  /** Map local's mocks replaced live (a mock saved, edited or deleted); ignored when the session has map local off. */
  replaceMocks(mocks: readonly LocalMock[]): void {
    if (this.rules.mocks !== undefined) this.recompile({ mocks });
  }

  private recompile(change: Partial<PipelineRules>): void {
    const rules = { ...this.rules, ...change };
    const pipeline = this.compile(rules);
    this.rules = rules;
    if (this.server) this.pipeline = pipeline;
  }

  private compile({ filters, toxics, modifications, mocks }: PipelineRules): Pipeline {
    const { deps } = this;
    if (!this.direct) throw new Error('internal: the pipeline is compiled once the forwarder exists');
    return compilePipeline({
      filters,
      upstreamPolicy: deps.upstreamPolicy,
      viaToken: this.direct.viaToken,
      ...(toxics ? { toxics } : {}),
      ...(modifications ? { modifications } : {}),
      ...(mocks ? { mapLocal: mocks } : {}),
      capture: {
        bodyLimit: deps.bodyLimit,
        onExchange: deps.onExchange,
        onTunnel: deps.onTunnel,
        ...(deps.onExchangeStart ? { onExchangeStart: deps.onExchangeStart } : {}),
        ...(deps.onExchangeDropped ? { onExchangeDropped: deps.onExchangeDropped } : {}),
      },
      ...(deps.extraStages ? { extraStages: deps.extraStages } : {}),
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const direct = this.direct;
    this.direct = undefined;
    try {
      if (server) await server.stop();
    } finally {
      direct?.close();
    }
  }

  /** The URL to record, or undefined when the request target cannot be read as one. */
  private parsedUrl(req: IncomingMessage): URL | undefined {
    try {
      return new URL(this.recordedUrl(req));
    } catch {
      return undefined;
    }
  }

  private recordedUrl = (req: IncomingMessage): string => {
    const raw = req.url ?? '/';
    if (this.target) {
      return `${this.target.protocol}//${this.target.host}${this.reverse!.prefix}${reversePath(raw) ?? `/${raw}`}`;
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return raw;
    // Origin-form inside a tunnel: the Host header names the destination.
    const scheme = (req.socket as Socket & { encrypted?: boolean }).encrypted ? 'https' : 'http';
    return `${scheme}://${req.headers.host ?? 'unknown'}${raw}`;
  };

  private tapRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.config.mode === 'forward' && this.isDirectHit(req)) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(
        `Traffic Recorder: this port is a forward proxy (session "${this.config.name}"). ` +
          `Send requests through it as a proxy, e.g. HTTP_PROXY=http://${req.headers.host ?? '127.0.0.1'}, ` +
          'or start a reverse session to call it directly.\n',
      );
      return;
    }
    const url = this.parsedUrl(req);
    const target = url && (this.reverse ? forReverse(req, this.reverse) : forForward(req));
    if (!url || !target) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Traffic Recorder: the request target ${JSON.stringify((req.url ?? '').slice(0, 200))} is not a URL this proxy can forward to (a bad host or port?)\n`);
      return;
    }
    const pipeline = this.pipeline;
    const direct = this.direct;
    if (!pipeline || !direct) {
      res.destroy();
      return;
    }
    const exchange: Exchange = {
      req,
      res,
      url,
      target,
      record: true,
      answer: undefined,
      observer: {},
      pipeline,
    };
    const answer = pipeline.requestHead(exchange);
    if (exchange.delayMs) afterDelay(exchange, exchange.delayMs, () => settle(exchange, answer, direct));
    else settle(exchange, answer, direct);
  }

  /** WebSocket upgrades pass the same policy, loop and scope stages as requests; the handshake is recorded. */
  private tapUpgrade(req: IncomingMessage, socket: Socket, next: () => void): void {
    const refusal = this.upgradeRefusal(req);
    if (refusal) {
      refuseUpgrade(socket, refusal.status, refusal.message, refusal.text ?? '');
      return;
    }
    const pipeline = this.pipeline;
    if (!pipeline) {
      socket.destroy();
      return;
    }
    const upgrade: UpgradeExchange = {
      req,
      socket,
      url: this.parsedUrl(req),
      target: this.reverse ? forReverse(req, this.reverse) : forForward(req),
      record: true,
      answer: undefined,
      pipeline,
    };
    pipeline.upgrade(upgrade);
    if (upgrade.answer) refuseUpgrade(socket, upgrade.answer.status, upgrade.answer.message, upgrade.answer.text ?? '');
    else next();
  }

  private upgradeRefusal(req: IncomingMessage): LocalAnswer | undefined {
    const invalid = invalidWebSocketHandshake(req);
    if (invalid) return { status: 400, message: 'Bad Request', text: `Traffic Recorder: ${invalid}\n` };
    if (this.config.mode === 'forward' && this.isDirectHit(req)) {
      return { status: 400, message: 'Bad Request', text: `Traffic Recorder: this port is a forward proxy (session "${this.config.name}"); send WebSockets through it as a proxy\n` };
    }
    return undefined;
  }

  private connectionRefusal(): string {
    const cap = this.deps.connectionLimits?.maxConnections;
    return `Traffic Recorder: session "${this.config.name}" already has ${cap} open connections, its limit; close some and retry\n`;
  }

  /** A plain request (origin-form, not inside a tunnel) aimed at the proxy port itself. */
  private isDirectHit(req: IncomingMessage): boolean {
    const raw = req.url ?? '';
    if (!raw.startsWith('/')) return false;
    const socket = req.socket as Socket & { encrypted?: boolean };
    if (socket.encrypted) return false;
    const host = req.headers.host ?? '';
    const portMatch = /:(\d+)$/.exec(host);
    return portMatch !== null && Number(portMatch[1]) === this.config.listenPort && socket.localPort === this.config.listenPort;
  }

  private tapTlsFailure(failure: Parameters<TlsFailureTap>[0]): void {
    // 'closed' without a handshake is what curl does when it merely drops a CONNECT: noise, not a rejection.
    if (failure.cause !== 'cert-rejected' && failure.cause !== 'reset') return;
    const tunnel = failure.tunnel ? /^(.*):(\d+)$/.exec(failure.tunnel) : null;
    const tunnelHost = tunnel?.[1]?.replace(/^\[(.*)\]$/, '$1');
    this.deps.onTlsRejection?.({
      startedAt: Date.now(),
      host: failure.sni ?? tunnelHost ?? 'unknown',
      port: tunnel ? Number(tunnel[2]) : undefined,
      cause: failure.cause,
      remoteAddress: failure.remoteAddress,
      remotePort: failure.remotePort,
    });
  }

  private tapTunnel(kind: 'tls' | 'raw', socket: Socket, hostname: string, port: number | undefined, next: () => void): void {
    const pipeline = this.pipeline;
    const tunnel: TunnelExchange = { kind, socket, hostname, port, record: true, refused: pipeline === undefined };
    pipeline?.tunnel(tunnel);
    if (tunnel.refused) socket.destroy();
    else next();
  }
}

function settle(exchange: Exchange, answer: LocalAnswer | undefined, direct: DirectForwarder): void {
  if (answer) answerLocally(exchange, answer);
  else direct.forward(exchange);
}

/** Wait before answering or forwarding (toxics' delay); a client that leaves meanwhile sends nothing upstream. */
function afterDelay(exchange: Exchange, ms: number, then: () => void): void {
  const { res } = exchange;
  const cancel = () => clearTimeout(timer);
  const timer = setTimeout(() => {
    res.off('close', cancel);
    // Thrown from a timer, an error would end the process: it ends only this exchange.
    try {
      then();
    } catch (e) {
      exchange.observer.failure ??= { code: 'INTERNAL', detail: (e as Error).message };
      res.destroy();
    }
  }, ms);
  res.once('close', cancel);
}

/** The proxy's own answer; a recorded refusal's words are written by capture from `failure` (http-capture.ts). */
function answerLocally(exchange: Exchange, answer: LocalAnswer): void {
  if (answer.failure) exchange.observer.failure = answer.failure;
  if (answer.withhold) {
    withhold(exchange, answer.withhold);
    return;
  }
  if (answer.headers || answer.body) {
    // An answer of the stage's own making (map local): its headers as they are, its bytes as the body. Node
    // refuses a head it cannot write (a character past Latin-1) before writing anything: a 502 in its place.
    try {
      exchange.res.writeHead(answer.status, answer.message, [...(answer.headers ?? [])]);
    } catch (e) {
      const detail = `the local answer's head cannot be sent: ${(e as Error).message}`;
      exchange.observer.failure = { code: 'LOCAL_ANSWER_INVALID', detail };
      exchange.res.writeHead(502, 'Bad Gateway', { 'content-type': 'text/plain; charset=utf-8' });
      exchange.res.end(`Traffic Recorder: ${detail}\n`);
      return;
    }
    exchange.res.end(answer.body);
    return;
  }
  exchange.res.writeHead(answer.status, answer.message, { 'content-type': 'text/plain; charset=utf-8' });
  exchange.res.end(answer.text);
}

/**
 * No answer at all: a reset is a TCP RST (the client reads "connection reset"; a TLS socket, which cannot send
 * one, is closed); a hold reads and drops the request body and waits for the client to leave. Either way capture
 * records the exchange when the response closes, with the failure set by the stage.
 */
function withhold(exchange: Exchange, how: 'reset' | 'hold'): void {
  const { req } = exchange;
  if (how === 'hold') {
    req.resume();
    return;
  }
  const socket = req.socket;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}
