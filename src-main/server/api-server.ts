/**
 * The headless server: the REST adapter over the recorder contract under /api/v1/recorder, the WebSocket entry
 * stream, and the built renderer at /ui/recorder. Handlers are a line or two: all behaviour lives in the engine.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import { ApiError } from '../../src-shared/errors.js';
import { API_PREFIX, OPERATIONS, parseOperationInput } from '../../src-shared/contract.js';
import type { Recorder } from '../engine/sessions/recorder.js';
import { EncodedBatch } from '../engine/sessions/stream-hub.js';
import { engineOperations, type EngineOperations } from '../engine/engine-operations.js';
import {
  WS_TOKEN_PROTOCOL_PREFIX,
  buildHostPolicy,
  hostAllowed,
  isPublicRoute,
  nonCanonicalTarget,
  originAllowed,
  presentedToken,
  tokenMatches,
} from './request-guard.js';
import { registerUi } from './static-ui.js';
import {
  DEFAULT_STREAM_BACKPRESSURE,
  StreamSubscriber,
  type StreamBackpressureOptions,
  type StreamSubscriberStats,
} from './stream-subscriber.js';
import type { MachineServices } from '../engine/machine/machine-services.js';
import { registerConfigsRoutes } from './configs-routes.js';
import { registerOperationRoutes, restInput } from './operation-routes.js';

export interface ApiServerOptions {
  recorder: Recorder;
  /** CA, trust store and system proxy operations; without it those routes answer not_supported. */
  machine?: MachineServices;
  token: string;
  host?: string;
  port?: number;
  /** Extra Host header names to accept (e.g. when served behind a reverse proxy under another name). */
  allowedHosts?: string[];
  /** Folder of the built renderer; when absent the UI route explains how to build it. */
  uiDir?: string;
  logger?: boolean;
  /** Back-pressure bounds of stream subscribers (defaults: DEFAULT_STREAM_BACKPRESSURE). */
  stream?: Partial<StreamBackpressureOptions>;
  /** Connection timeouts (defaults: idle 120 s, keep-alive 5 s, whole request 60 s, headers 60 s). */
  timeouts?: { idleMs?: number; keepAliveMs?: number; requestMs?: number; headersMs?: number };
}

export interface ApiServer {
  app: FastifyInstance;
  url: string;
  port: number;
  /** Back-pressure state of every open stream subscriber, for diagnostics and tests. */
  streamSubscribers(): StreamSubscriberStats[];
  close(): Promise<void>;
}


function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.status).type('application/json').send(error.toBody());
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { recorder, token } = options;
  const host = options.host ?? '127.0.0.1';
  const app = Fastify({
    logger: options.logger ?? false,
    // Every JSON input is small (session configs, annotations); routes that take files set their own limit.
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
    // Idle, half-sent and slow-loris connections must not pile up and take the API offline (the stream's
    // WebSockets leave these timers behind when they upgrade).
    connectionTimeout: options.timeouts?.idleMs ?? 120_000,
    keepAliveTimeout: options.timeouts?.keepAliveMs ?? 5_000,
    requestTimeout: options.timeouts?.requestMs ?? 60_000,
  });
  if (options.timeouts?.headersMs) app.server.headersTimeout = options.timeouts.headersMs;

  // Empty bodies are fine for action routes (`curl -X POST .../stop -H 'Content-Type: application/json'`), and
  // `curl -d` without -H sends JSON labelled as a form: parse any body as JSON and say so when it is not.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(new ApiError('bad_request', `request body is not valid JSON: ${(e as Error).message}`), undefined);
    }
  });

  let policy = buildHostPolicy(host, options.port ?? 0, options.allowedHosts);
  app.addHook('onRequest', async (request, reply) => {
    const refusal = nonCanonicalTarget(request.raw.url ?? '');
    if (refusal) return sendError(reply, new ApiError('bad_request', `${refusal}: send the canonical path`));
    if (!hostAllowed(policy, request.headers.host)) {
      return sendError(reply, new ApiError('forbidden', `Host "${request.headers.host ?? ''}" is not this server's address`));
    }
    if (!originAllowed(request.headers.origin, request.headers.host)) {
      return sendError(reply, new ApiError('forbidden', `cross-origin requests from ${request.headers.origin} are not allowed`));
    }
    // Judged on the route the router matched, not on how the path is spelled; unknown paths need it too.
    if (isPublicRoute(request.routeOptions.url)) return;
    if (!tokenMatches(token, presentedToken(request.headers))) {
      return sendError(reply, new ApiError('unauthorized', 'missing or wrong API token: send "Authorization: Bearer <token>"'));
    }
  });

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ApiError) return sendError(reply, error);
    const fastifyError = error as { statusCode?: number; code?: string; message: string };
    if (fastifyError.statusCode && fastifyError.statusCode < 500) {
      if (fastifyError.statusCode === 413) {
        return sendError(reply, new ApiError('bad_request', `body: larger than this API accepts (${app.initialConfig.bodyLimit} bytes of JSON at most)`, 'body'));
      }
      return sendError(reply, new ApiError('bad_request', fastifyError.message));
    }
    console.error('internal error:', error);
    return sendError(reply, new ApiError('internal', `internal error: ${fastifyError.message}`));
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new ApiError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: 1024 * 1024,
      // Browsers offer the token as a subprotocol; the handshake must echo one back or they drop the socket.
      handleProtocols: (protocols: Set<string>) => {
        for (const p of protocols) if (p.startsWith(WS_TOKEN_PROTOCOL_PREFIX)) return p;
        return false;
      },
    },
  });

  const engine = engineOperations(recorder, options.machine);
  app.get('/api/v1/health', async () => ({ status: 'ok' }));
  registerConfigsRoutes(app);
  registerOperationRoutes(app, engine);

  const streamLimits = { ...DEFAULT_STREAM_BACKPRESSURE, ...options.stream };
  const subscribers = new Set<StreamSubscriber>();
  app.get(`${API_PREFIX}${OPERATIONS.subscribe.path}`, { websocket: true }, (socket, request) => void openStream(engine, socket, request, streamLimits, subscribers));

  registerUi(app, options.uiDir);

  // Sockets handed over on 'upgrade' leave the HTTP server's bookkeeping, so a client that keeps a refused
  // upgrade open would hold close() forever: destroy whatever is left when we shut down.
  const upgraded = new Set<Duplex>();
  app.server.on('upgrade', (_request: unknown, socket: Duplex) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    endWhenRefused(socket);
  });
  app.addHook('preClose', async () => {
    for (const socket of upgraded) socket.destroy();
  });

  const address = await app.listen({ host, port: options.port ?? 5770 });
  const port = (app.server.address() as { port: number }).port;
  policy = buildHostPolicy(host, port, options.allowedHosts);
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  void address;
  return {
    app,
    url: `http://${displayHost}:${port}`,
    port,
    streamSubscribers: () => [...subscribers].map((s) => s.stats()),
    close: () => app.close(),
  };
}

/**
 * An upgrade the API refused (no token, a bad path, a bad URL, no such route) is answered with a plain HTTP response
 * on a socket that no HTTP server reads any more: nobody would notice the client leaving, and each one would hold a
 * file descriptor for ever. @fastify/websocket routes the upgrade through a ServerResponse bound to the socket (run
 * synchronously before this listener); an accepted upgrade is hijacked and that response never finishes.
 */
function endWhenRefused(socket: Duplex): void {
  const response = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!response) return;
  const end = () => {
    socket.end();
    socket.resume();
    setTimeout(() => socket.destroy(), 2_000).unref();
  };
  if (response.writableFinished) end();
  else response.once('finish', end);
}

type StreamSocket = ConstructorParameters<typeof StreamSubscriber>[1];

/** The stream row over a WebSocket: its input from the path and query, then one subscriber with back-pressure. */
async function openStream(
  engine: EngineOperations,
  socket: StreamSocket,
  request: FastifyRequest,
  limits: StreamBackpressureOptions,
  subscribers: Set<StreamSubscriber>,
): Promise<void> {
  let unsubscribe: (() => void) | undefined;
  let closed = false;
  socket.once('close', () => {
    closed = true;
    unsubscribe?.();
  });
  try {
    const input = parseOperationInput('subscribe', restInput('subscribe', request));
    const subscriber = new StreamSubscriber(input.id, socket, input.batch, limits, request.raw.socket);
    const off = await engine.subscribe(input, (messages, encoded) => subscriber.deliver(encoded ?? new EncodedBatch(messages)));
    if (closed) return off();
    unsubscribe = off;
    subscribers.add(subscriber);
    socket.once('close', () => subscribers.delete(subscriber));
    socket.on('error', () => unsubscribe?.());
  } catch (e) {
    const error = e instanceof ApiError ? e : new ApiError('internal', String(e));
    socket.send(JSON.stringify({ type: 'error', ...error.toBody() }));
    socket.close(error.code === 'not_found' ? 4404 : error.code === 'bad_request' ? 4400 : 1011, error.message.slice(0, 120));
  }
}
