/**
 * Messages between the main process and the engine utility process, derived from the operation table: a call names
 * its row and carries the input the IPC boundary has already validated. Structured-clone values only; errors
 * travel as `ApiErrorBody` values, like every other boundary.
 */
import { ApiError } from '../../src-shared/errors.js';
import { CALL_NAMES, OPERATIONS, type BytesResult, type CallName, type ParsedInputOf } from '../../src-shared/contract.js';
import { collectBytes } from '../../src-shared/operation-row.js';
import type { StreamMessage } from '../../src-shared/model.js';
import type { IpcResult } from '../../src-shared/desktop-bridge.js';

/** How the main process hands the engine process its data folder (an argv entry). */
export const DATA_DIR_FLAG = '--data-dir=';

export type ToEngine =
  | { kind: 'call'; id: number; method: CallName; input: unknown }
  | { kind: 'subscribe'; id: number; sub: number; input: ParsedInputOf<'subscribe'> }
  | { kind: 'unsubscribe'; sub: number }
  | { kind: 'shutdown'; id: number };

export type FromEngine =
  | { kind: 'ready' }
  | { kind: 'fatal'; message: string }
  | { kind: 'reply'; id: number; result: IpcResult<unknown> }
  | { kind: 'stream'; sub: number; messages: StreamMessage[] };

/** A message port, whichever side and runtime: utilityProcess, parentPort, or a worker_threads MessagePort. */
export interface PortLike {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): () => void;
}

/** Every method the engine answers by name: the table's rows, an allow-list, so a message can never reach anything else. */
export const ENGINE_CALLS: ReadonlySet<string> = new Set<string>(CALL_NAMES);

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  console.error('engine call: internal error', error);
  return new ApiError('internal', `internal error: ${error instanceof Error ? error.message : String(error)}`);
}

export function failure(error: unknown): IpcResult<never> {
  return { ok: false, error: toApiError(error).toBody() };
}

/** The most a streamed bytes answer (a HAR export) may be when one message carries it: IPC, the engine-process link. */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/**
 * An operation's answer as one message can carry it: a bytes answer's `stream` gathered into `bytes` (bounded);
 * everything else as it is. REST pipes the stream instead (operation-routes.ts).
 */
export async function asMessageValue(name: CallName, value: unknown): Promise<unknown> {
  if (OPERATIONS[name].kind !== 'bytes' || !(value as BytesResult | undefined)?.stream) return value;
  return collectBytes(value as BytesResult, MAX_MESSAGE_BYTES, (max) =>
    new ApiError('limit_reached', `${name}: the answer is larger than ${max / (1024 * 1024)} MiB, more than the app's window can be handed at once: choose fewer entries, or use the REST API or the CLI, which stream it`),
  );
}
