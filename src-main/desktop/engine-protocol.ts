/**
 * Messages between the main process and the engine utility process, derived from the operation table: a call names
 * its row and carries the input the IPC boundary has already validated. Structured-clone values only; errors
 * travel as `ApiErrorBody` values, like every other boundary.
 */
import { ApiError } from '../../src-shared/errors.js';
import { CALL_NAMES, type CallName, type ParsedInputOf } from '../../src-shared/contract.js';
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
