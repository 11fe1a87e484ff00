/**
 * The Electron transport of the operation table: the shape of `window.trafficRecorder` (exposed by the preload),
 * the IPC channel of every operation, and the value envelope that carries results and errors across IPC.
 * Both are derived from OPERATIONS (contract.ts): one channel per operation (`recorder:<name>`), the stream's as
 * subscribe plus unsubscribe; there is no generic `invoke(channel)`.
 */
import { CALL_NAMES, OPERATION_NAMES, STREAM_NAMES, type OperationClient, type OperationName } from './contract.js';
import type { ApiErrorBody, ApiErrorCode } from './errors.js';
import type { StreamMessage } from './model.js';

/** `window[BRIDGE_KEY]` in the renderer. */
export const BRIDGE_KEY = 'trafficRecorder';

export type BodyWhich = 'request' | 'response';
export type BridgeStreamState = 'connecting' | 'open' | 'closed';

export interface BridgeSubscribeOptions {
  /** 'connecting' at once, 'open' when the main process confirmed the subscription, 'closed' with a reason on failure. */
  onState?: (state: BridgeStreamState, detail?: string) => void;
}

/** What the preload exposes: every operation that answers once, plus the stream of one session. */
export interface DesktopBridge extends OperationClient {
  /** Live stream batches of one session (~50 ms apart). Returns the unsubscribe function. */
  subscribe(sessionId: string, onMessages: (messages: StreamMessage[]) => void, options?: BridgeSubscribeOptions): () => void;
}

/** Every `ipcRenderer.invoke` name: the operations, and the stream's end. */
export type BridgeCallName = OperationName | 'unsubscribe';

const channelOf = (name: BridgeCallName) => `recorder:${name}` as const;

export const IPC_CHANNELS: Readonly<Record<BridgeCallName, `recorder:${string}`>> = Object.freeze(
  Object.fromEntries([...OPERATION_NAMES, 'unsubscribe' as const].map((name) => [name, channelOf(name)])) as unknown as Record<BridgeCallName, `recorder:${string}`>,
);

/** Main → renderer pushes of stream batches, for every session on one channel (the payload names it). */
export const STREAM_CHANNEL = 'recorder:stream';

export type StreamPush =
  | { sessionId: string; messages: StreamMessage[] }
  /** The subscription ended on the main side (engine restarted, session deleted): resubscribe if wanted. */
  | { sessionId: string; closed: string };

/** The methods `window.trafficRecorder` has, and nothing else. */
export const BRIDGE_METHODS: readonly (keyof DesktopBridge)[] = [...CALL_NAMES, ...STREAM_NAMES];

/**
 * Every IPC call answers with a value, never a throw: Electron keeps only `message` of a thrown error.
 * Each call sends at most one argument (the operation's params object).
 */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: ApiErrorBody };

/**
 * What a bridge promise rejects with. A plain object, not an Error: contextBridge copies an Error into
 * the page with its message only, dropping `code` and `field`; a plain object crosses intact.
 */
export interface BridgeError {
  name: 'RecorderBridgeError';
  message: string;
  code: ApiErrorCode;
  field?: string;
}

export function toBridgeError(body: ApiErrorBody): BridgeError {
  const error: BridgeError = { name: 'RecorderBridgeError', message: body.error, code: body.code };
  if (body.field !== undefined) error.field = body.field;
  return error;
}

export function isBridgeError(value: unknown): value is BridgeError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as BridgeError).name === 'RecorderBridgeError' &&
    typeof (value as BridgeError).code === 'string' &&
    typeof (value as BridgeError).message === 'string'
  );
}
