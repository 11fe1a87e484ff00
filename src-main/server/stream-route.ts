/** The stream row of the operation table over REST: a WebSocket per subscriber, with back-pressure. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../src-shared/errors.js';
import { API_PREFIX, OPERATIONS, parseOperationInput } from '../../src-shared/contract.js';
import type { EngineOperations } from '../engine/engine-operations.js';
import { EncodedBatch } from '../engine/sessions/stream-hub.js';
import { restInput } from './operation-routes.js';
import { StreamSubscriber, type StreamBackpressureOptions } from './stream-subscriber.js';

/** Registers the WebSocket route; the set holds the open subscribers (for diagnostics and tests). */
export function registerStreamRoute(app: FastifyInstance, engine: EngineOperations, limits: StreamBackpressureOptions): Set<StreamSubscriber> {
  const subscribers = new Set<StreamSubscriber>();
  app.get(`${API_PREFIX}${OPERATIONS.subscribe.path}`, { websocket: true }, (socket, request) => void openStream(engine, socket, request, limits, subscribers));
  return subscribers;
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
