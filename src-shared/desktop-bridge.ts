/**
 * The Electron transport of the contract: the shape of `window.trafficRecorder` (exposed by the preload),
 * the IPC channel of every call, and the value envelope that carries results and errors across IPC.
 *
 * Each operation of `RecorderOperations` and of `MachineOperations` (CA, trust store, system proxy, setup,
 * open browser) has its own channel; there is no generic `invoke(channel)`.
 * The channel table is a `Record` over the operation names, so adding an operation to the contract
 * without a channel here is a compile error (and the handler/bridge tests fail).
 */
import { ROUTES, type OperationName, type RecorderOperations } from './contract.js';
import type { ApiErrorBody, ApiErrorCode } from './errors.js';
import { MACHINE_OPERATIONS, type MachineOperationName, type MachineOperations } from './machine.js';
import type { StreamMessage } from './model.js';

/** `window[BRIDGE_KEY]` in the renderer. */
export const BRIDGE_KEY = 'trafficRecorder';

export type BodyWhich = 'request' | 'response';
export type BridgeStreamState = 'connecting' | 'open' | 'closed';

export interface BridgeSubscribeOptions {
  /** 'connecting' at once, 'open' when the main process confirmed the subscription, 'closed' with a reason on failure. */
  onState?: (state: BridgeStreamState, detail?: string) => void;
}

export interface EntryBodyBytes {
  bytes: Uint8Array;
  contentType?: string;
}

/** What the preload exposes: the contract and the machine operations, plus the three things a UI needs on top. */
export interface DesktopBridge extends RecorderOperations, MachineOperations {
  /** Ids of the session's entries whose URL, headers or decoded bodies contain `q` (case-insensitive). */
  searchEntries(params: { id: string; q: string }): Promise<{ ids: string[] }>;
  /** Captured body bytes (raw as on the wire, or content-decoded with `decoded: true`). */
  readEntryBody(params: { id: string; entryId: string; which: BodyWhich; decoded?: boolean }): Promise<EntryBodyBytes>;
  /** Live stream batches of one session (~50 ms apart). Returns the unsubscribe function. */
  subscribe(sessionId: string, onMessages: (messages: StreamMessage[]) => void, options?: BridgeSubscribeOptions): () => void;
}

/** Every `ipcRenderer.invoke` name: the contract's operations, the UI extras, and stream (un)subscription. */
export type BridgeCallName = OperationName | MachineOperationName | 'searchEntries' | 'readEntryBody' | 'subscribe' | 'unsubscribe';

export const IPC_CHANNELS: Readonly<Record<BridgeCallName, `recorder:${string}`>> = Object.freeze({
  startSession: 'recorder:startSession',
  listSessions: 'recorder:listSessions',
  getSession: 'recorder:getSession',
  stopSession: 'recorder:stopSession',
  restartSession: 'recorder:restartSession',
  deleteSession: 'recorder:deleteSession',
  listEntries: 'recorder:listEntries',
  getEntry: 'recorder:getEntry',
  patchEntry: 'recorder:patchEntry',
  ports: 'recorder:ports',
  portCheck: 'recorder:portCheck',
  storage: 'recorder:storage',
  caStatus: 'recorder:caStatus',
  caGenerate: 'recorder:caGenerate',
  caDownload: 'recorder:caDownload',
  trustStatus: 'recorder:trustStatus',
  trustInstall: 'recorder:trustInstall',
  trustUninstall: 'recorder:trustUninstall',
  systemProxyStatus: 'recorder:systemProxyStatus',
  systemProxyOn: 'recorder:systemProxyOn',
  systemProxyOff: 'recorder:systemProxyOff',
  sessionSetup: 'recorder:sessionSetup',
  openBrowser: 'recorder:openBrowser',
  searchEntries: 'recorder:searchEntries',
  readEntryBody: 'recorder:readEntryBody',
  subscribe: 'recorder:subscribe',
  unsubscribe: 'recorder:unsubscribe',
});

/** Main → renderer pushes of stream batches, for every session on one channel (the payload names it). */
export const STREAM_CHANNEL = 'recorder:stream';

export type StreamPush =
  | { sessionId: string; messages: StreamMessage[] }
  /** The subscription ended on the main side (engine restarted, session deleted): resubscribe if wanted. */
  | { sessionId: string; closed: string };

/** The contract's operations, from the route table (the one list every transport derives from). */
export const CONTRACT_OPERATIONS = Object.keys(ROUTES) as OperationName[];

/** The machine operations, from MACHINE_ROUTES. */
export { MACHINE_OPERATIONS };

/** The methods `window.trafficRecorder` has, and nothing else. */
export const BRIDGE_METHODS: readonly (keyof DesktopBridge)[] = [...CONTRACT_OPERATIONS, ...MACHINE_OPERATIONS, 'searchEntries', 'readEntryBody', 'subscribe'];

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
