/**
 * Messages between the main process and the engine utility process. Structured-clone values only; errors
 * travel as `ApiErrorBody` values, like every other boundary.
 */
import type { StreamMessage } from '../../src-shared/model.js';
import type { IpcResult } from '../../src-shared/desktop-bridge.js';
import type { EngineCallName } from './engine-api.js';

/** How the main process hands the engine process its data folder (an argv entry). */
export const DATA_DIR_FLAG = '--data-dir=';

export type ToEngine =
  | { kind: 'call'; id: number; method: EngineCallName; args: unknown[] }
  | { kind: 'subscribe'; id: number; sub: number; sessionId: string }
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

/** Every method the engine answers by name: an allow-list, so a message can never reach anything else. */
export const ENGINE_CALLS: ReadonlySet<EngineCallName> = new Set<EngineCallName>([
  'startSession', 'listSessions', 'getSession', 'stopSession', 'restartSession', 'deleteSession',
  'listEntries', 'getEntry', 'patchEntry', 'ports', 'portCheck', 'storage', 'searchEntries', 'readEntryBody',
  // The machine operations run in the engine process too (docs/desktop.md says why).
  'caStatus', 'caGenerate', 'caDownload', 'trustStatus', 'trustInstall', 'trustUninstall',
  'systemProxyStatus', 'systemProxyOn', 'systemProxyOff', 'sessionSetup', 'openBrowser',
]);
