/**
 * The API's fastify instance before any route: JSON bodies whatever their label, the guard on every request (the
 * canonical path, Host, Origin, the token), errors as `{ error, code, field }`, and the WebSocket plugin that takes
 * the token as a subprotocol.
 */
import { isUtf8 } from 'node:buffer';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import { ApiError } from '../../src-shared/errors.js';
import {
  WS_TOKEN_PROTOCOL_PREFIX,
  hostAllowed,
  isPublicRoute,
  nonCanonicalTarget,
  originAllowed,
  presentedToken,
  tokenMatches,
  type HostPolicy,
} from './request-guard.js';

export interface ApiAppOptions {
  logger?: boolean;
  /** Connection timeouts (defaults: idle 120 s, keep-alive 5 s, whole request 60 s, headers 60 s). */
  timeouts?: { idleMs?: number; keepAliveMs?: number; requestMs?: number; headersMs?: number };
}

/** What the guard checks against; `policy` is replaced once the server knows its port. */
export interface ApiGuard {
  token: string;
  policy: HostPolicy;
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.status).type('application/json').send(error.toBody());
}

export async function createApiApp(options: ApiAppOptions, guard: ApiGuard): Promise<FastifyInstance> {
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

  installJsonParser(app);
  installGuard(app, guard);
  installErrorHandlers(app);
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
  return app;
}

function installJsonParser(app: FastifyInstance): void {
  // Empty bodies are fine for action routes (`curl -X POST .../stop -H 'Content-Type: application/json'`), and
  // `curl -d` without -H sends JSON labelled as a form: parse any body as JSON and say so when it is not.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => {
    // JSON is UTF-8 (RFC 8259): bytes that are not would be saved with U+FFFD in their place, silently changed.
    if (Buffer.isBuffer(body) && !isUtf8(body)) return done(new ApiError('bad_request', 'request body is not valid UTF-8 (JSON must be UTF-8)', 'body'), undefined);
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(new ApiError('bad_request', `request body is not valid JSON: ${(e as Error).message}`, 'body'), undefined);
    }
  });
}

function installGuard(app: FastifyInstance, guard: ApiGuard): void {
  app.addHook('onRequest', async (request, reply) => {
    const refusal = nonCanonicalTarget(request.raw.url ?? '');
    if (refusal) return sendError(reply, new ApiError('bad_request', `${refusal}: send the canonical path`));
    if (!hostAllowed(guard.policy, request.headers.host)) {
      return sendError(reply, new ApiError('forbidden', `Host "${request.headers.host ?? ''}" is not this server's address`));
    }
    if (!originAllowed(request.headers.origin, request.headers.host)) {
      return sendError(reply, new ApiError('forbidden', `cross-origin requests from ${request.headers.origin} are not allowed`));
    }
    // Judged on the route the router matched, not on how the path is spelled; unknown paths need it too.
    if (isPublicRoute(request.routeOptions.url)) return;
    if (!tokenMatches(guard.token, presentedToken(request.headers))) {
      return sendError(reply, new ApiError('unauthorized', 'missing or wrong API token: send "Authorization: Bearer <token>"'));
    }
  });
}

function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ApiError) return sendError(reply, error);
    const fastifyError = error as { statusCode?: number; code?: string; message: string };
    if (fastifyError.statusCode && fastifyError.statusCode < 500) {
      if (fastifyError.statusCode === 413) {
        return sendError(reply, new ApiError('bad_request', `body: larger than this API accepts (${request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit} bytes of JSON at most)`, 'body'));
      }
      return sendError(reply, new ApiError('bad_request', fastifyError.message));
    }
    console.error('internal error:', error);
    return sendError(reply, new ApiError('internal', `internal error: ${fastifyError.message}`));
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new ApiError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
