/**
 * The main-process side of the engine utility process: `EngineOperations` whose every call (one per row of the
 * operation table) is a message, and whose answers come back as values, turned into `ApiError`s again here so the
 * IPC layer treats both process models the same.
 */
import { ApiError, isApiErrorBody } from '../../src-shared/errors.js';
import { CALL_NAMES, type CallName, type ParsedInputOf } from '../../src-shared/contract.js';
import type { IpcResult } from '../../src-shared/desktop-bridge.js';
import type { EngineCalls, EngineOperations, StreamBatchListener } from '../engine/engine-operations.js';
import type { FromEngine, PortLike, ToEngine } from './engine-protocol.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: ApiError): void;
}

/** One method per call row of the table, installed by the constructor. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- the constructor defines every member this declares
export interface EngineClient extends EngineCalls {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class EngineClient implements EngineOperations {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, StreamBatchListener>();
  private failed: ApiError | undefined;
  private readonly off: () => void;
  private readyResolve!: () => void;
  private readyReject!: (error: ApiError) => void;
  /** Resolves when the engine process reports it has opened the store and is serving. */
  readonly ready: Promise<void>;

  constructor(private readonly port: PortLike) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.ready.catch(() => undefined);
    this.off = port.onMessage((raw) => this.receive(raw as FromEngine));
    const self = this as unknown as Record<CallName, (input: unknown) => Promise<unknown>>;
    for (const name of CALL_NAMES) self[name] = (input) => this.call(name, input);
  }

  /** The process is gone: every pending and future call fails with `error`. */
  fail(error: ApiError): void {
    if (this.failed) return;
    this.failed = error;
    this.readyReject(error);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.streams.clear();
    this.off();
  }

  get alive(): boolean {
    return this.failed === undefined;
  }

  async subscribe(input: ParsedInputOf<'subscribe'>, listener: StreamBatchListener): Promise<() => void> {
    const sub = this.nextId++;
    this.streams.set(sub, listener);
    try {
      await this.request((id) => ({ kind: 'subscribe', id, sub, input }));
    } catch (e) {
      this.streams.delete(sub);
      throw e;
    }
    return () => {
      if (!this.streams.delete(sub) || this.failed) return;
      this.port.postMessage({ kind: 'unsubscribe', sub } satisfies ToEngine);
    };
  }

  /** Ask the engine to stop every session and flush the store; resolves when it has. */
  async shutdown(): Promise<void> {
    await this.request((id) => ({ kind: 'shutdown', id }));
  }

  private call(method: CallName, input: unknown): Promise<unknown> {
    return this.request((id) => ({ kind: 'call', id, method, input }));
  }

  private request(build: (id: number) => ToEngine): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.port.postMessage(build(id));
      } catch (e) {
        this.pending.delete(id);
        reject(new ApiError('internal', `engine process unreachable: ${(e as Error).message}`));
      }
    });
  }

  private receive(message: FromEngine): void {
    if (typeof message !== 'object' || message === null) return;
    switch (message.kind) {
      case 'ready':
        this.readyResolve();
        return;
      case 'fatal':
        this.fail(new ApiError('internal', `the engine could not start: ${message.message}`));
        return;
      case 'reply': {
        const p = this.pending.get(message.id);
        if (!p) return;
        this.pending.delete(message.id);
        settle(message.result, p);
        return;
      }
      case 'stream':
        this.streams.get(message.sub)?.(message.messages);
        return;
      default: {
        const never: never = message;
        console.warn('engine client: ignored message', never);
      }
    }
  }
}

function settle(result: IpcResult<unknown>, p: Pending): void {
  if (result.ok) return p.resolve(result.value);
  const body = result.error;
  if (isApiErrorBody(body)) p.reject(new ApiError(body.code, body.error, body.field));
  else p.reject(new ApiError('internal', 'malformed error from the engine process'));
}
