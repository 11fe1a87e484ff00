/**
 * The headless server: the REST adapter over the recorder contract under /api/v1/recorder, the WebSocket entry
 * stream, and the built renderer at /ui/recorder. Handlers are a line or two: all behaviour lives in the engine.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import { ApiError } from '../../src-shared/errors.js';
import { API_PREFIX, ENTRY_BODY_PATH, ROUTES, STREAM_PATH } from '../../src-shared/contract.js';
import { entriesQuerySchema, parseInput, portCheckQuerySchema, restartSessionSchema, searchQuerySchema } from '../../src-shared/schemas.js';
import type { Recorder } from '../engine/sessions/recorder.js';
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
import { recordedBodyHeaders } from './recorded-body-headers.js';
import {
  DEFAULT_STREAM_BACKPRESSURE,
  StreamSubscriber,
  type StreamBackpressureOptions,
  type StreamSubscriberStats,
} from './stream-subscriber.js';
import type { MachineServices } from '../engine/machine/machine-services.js';
import { registerMachineRoutes } from './machine-routes.js';
import { registerConfigsRoutes } from './configs-routes.js';

export interface ApiServerOptions {
  recorder: Recorder;
  /** CA, trust store and system proxy operations; without it those routes are absent. */
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

type Params = Record<string, string>;
type Query = Record<string, string | undefined>;

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

  const at = (path: string) => `${API_PREFIX}${path}`;
  const params = (request: FastifyRequest) => request.params as Params;
  const query = (request: FastifyRequest) => request.query as Query;

  app.get('/api/v1/health', async () => ({ status: 'ok' }));
  if (options.machine) registerMachineRoutes(app, options.machine);
  registerConfigsRoutes(app);
  app.post(at(ROUTES.startSession.path), async (request, reply) => {
    const result = await recorder.startSession((request.body ?? {}) as never);
    return reply.code(201).send(result);
  });
  app.get(at(ROUTES.listSessions.path), async () => recorder.listSessions());
  app.get(at(ROUTES.ports.path), async () => recorder.ports());
  app.get(at(ROUTES.storage.path), async () => recorder.storage());
  app.get(at(ROUTES.portCheck.path), async (request) => recorder.portCheck(parseInput(portCheckQuerySchema, query(request), 'query')));
  app.get(at(ROUTES.getSession.path), async (request) => recorder.getSession({ id: params(request).id! }));
  app.post(at(ROUTES.stopSession.path), async (request) => recorder.stopSession({ id: params(request).id! }));
  app.post(at(ROUTES.restartSession.path), async (request) => {
    // A body-less POST (older clients, the CLI) means the default: move to another port when the old one is taken.
    const options = parseInput(restartSessionSchema, request.body ?? {}, 'restart options');
    return recorder.restartSession({ ...options, id: params(request).id! });
  });
  app.delete(at(ROUTES.deleteSession.path), async (request) => recorder.deleteSession({ id: params(request).id! }));
  app.get(at(ROUTES.listEntries.path), async (request) => {
    const q = parseInput(entriesQuerySchema, query(request), 'query');
    return recorder.listEntries({ id: params(request).id!, ...q });
  });
  app.get(at(`${ROUTES.listEntries.path}/search`), async (request) => {
    const { q, limit } = parseInput(searchQuerySchema, query(request), 'query');
    return { ids: await recorder.searchEntries(params(request).id!, q, limit) };
  });
  app.get(at(ROUTES.getEntry.path), async (request) => recorder.getEntry(params(request) as { id: string; entryId: string }));
  app.patch(at(ROUTES.patchEntry.path), async (request) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      const got = Array.isArray(body) ? 'an array' : body === null || body === undefined ? 'nothing' : `a ${typeof body}`;
      throw new ApiError('bad_request', `body: expected a JSON object with "tags" and/or "notes", got ${got}`, 'body');
    }
    return recorder.patchEntry({ ...(body as object), ...(params(request) as { id: string; entryId: string }) });
  });
  app.get(at(ENTRY_BODY_PATH), async (request, reply) => {
    const { id, entryId, which } = params(request) as { id: string; entryId: string; which: string };
    if (which !== 'request' && which !== 'response') throw new ApiError('bad_request', 'which: must be "request" or "response"', 'which');
    const decoded = ['1', 'true'].includes(query(request).decoded ?? '');
    const body = await recorder.readEntryBody(id, entryId, which, decoded);
    const inline = ['1', 'true'].includes(query(request).inline ?? '');
    return reply.headers(recordedBodyHeaders(body.contentType, inline)).send(body.bytes);
  });

  const streamLimits = { ...DEFAULT_STREAM_BACKPRESSURE, ...options.stream };
  const subscribers = new Set<StreamSubscriber>();
  app.get(at(STREAM_PATH), { websocket: true }, (socket, request) => {
    const id = params(request).id!;
    const batch = ['1', 'true'].includes(query(request).batch ?? '');
    const pending = ['1', 'true'].includes(query(request).pending ?? '');
    let unsubscribe: () => void;
    try {
      const subscriber = new StreamSubscriber(id, socket, batch, streamLimits, request.raw.socket);
      unsubscribe = recorder.subscribe(id, (_messages, encoded) => subscriber.deliver(encoded), { pending });
      subscribers.add(subscriber);
      socket.once('close', () => subscribers.delete(subscriber));
    } catch (e) {
      const error = e instanceof ApiError ? e : new ApiError('internal', String(e));
      socket.send(JSON.stringify({ type: 'error', ...error.toBody() }));
      socket.close(error.code === 'not_found' ? 4404 : 1011, error.message.slice(0, 120));
      return;
    }
    socket.on('close', () => unsubscribe());
    socket.on('error', () => unsubscribe());
  });

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
