/**
 * The engine side of the main ↔ engine-process link: answers the operation table's calls, forwards stream batches, and shuts the
 * engine down on request. Plain Node (no electron import): tested over a worker_threads MessageChannel.
 */
import { ApiError } from '../../src-shared/errors.js';
import type { EngineOperations } from '../engine/engine-operations.js';
import { ENGINE_CALLS, asMessageValue, failure, type FromEngine, type PortLike, type ToEngine } from './engine-protocol.js';

export interface EngineService {
  /** Stop answering (the port stays open: its owner closes it). */
  detach(): void;
}

export function serveEngine(port: PortLike, engine: EngineOperations, shutdown: () => Promise<void>): EngineService {
  const subscriptions = new Map<number, () => void>();
  const send = (message: FromEngine) => port.postMessage(message);

  const handle = async (message: ToEngine): Promise<void> => {
    switch (message.kind) {
      case 'call': {
        try {
          if (!ENGINE_CALLS.has(message.method)) throw new ApiError('bad_request', `unknown engine call ${String(message.method)}`);
          // The main process validated the input at its IPC boundary, with the same row's schema.
          const fn = engine[message.method] as (input: unknown) => Promise<unknown>;
          const value = await asMessageValue(message.method, await fn(message.input));
          send({ kind: 'reply', id: message.id, result: { ok: true, value } });
        } catch (e) {
          send({ kind: 'reply', id: message.id, result: failure(e) });
        }
        return;
      }
      case 'subscribe': {
        try {
          const unsubscribe = await engine.subscribe(message.input, (messages) => send({ kind: 'stream', sub: message.sub, messages }));
          subscriptions.set(message.sub, unsubscribe);
          send({ kind: 'reply', id: message.id, result: { ok: true, value: null } });
        } catch (e) {
          send({ kind: 'reply', id: message.id, result: failure(e) });
        }
        return;
      }
      case 'unsubscribe': {
        subscriptions.get(message.sub)?.();
        subscriptions.delete(message.sub);
        return;
      }
      case 'shutdown': {
        for (const unsubscribe of subscriptions.values()) unsubscribe();
        subscriptions.clear();
        try {
          await shutdown();
          send({ kind: 'reply', id: message.id, result: { ok: true, value: null } });
        } catch (e) {
          send({ kind: 'reply', id: message.id, result: failure(e) });
        }
        return;
      }
      default: {
        const never: never = message;
        console.warn('engine process: ignored message', never);
      }
    }
  };

  const off = port.onMessage((raw) => {
    if (typeof raw !== 'object' || raw === null || typeof (raw as { kind?: unknown }).kind !== 'string') return;
    void handle(raw as ToEngine);
  });
  return { detach: off };
}
