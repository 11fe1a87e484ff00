/**
 * In Electron the preload script exposes `window.trafficRecorder`, an object of the RecorderClient shape
 * (each operation an `ipcRenderer.invoke` of a named channel, `subscribe` over a MessagePort or events).
 * There is no token there: the main process trusts its own window.
 */
import type { RecorderClient } from './recorder-client.js';

const REQUIRED: (keyof RecorderClient)[] = [
  'startSession', 'listSessions', 'getSession', 'stopSession', 'restartSession', 'deleteSession',
  'listEntries', 'getEntry', 'patchEntry', 'ports', 'portCheck', 'searchEntries', 'getEntryBody', 'subscribe',
];

declare global {
  interface Window {
    trafficRecorder?: RecorderClient;
  }
}

export function getIpcClient(): RecorderClient | null {
  const bridge = window.trafficRecorder;
  if (!bridge) return null;
  const missing = REQUIRED.filter((name) => typeof bridge[name] !== 'function');
  if (missing.length > 0) throw new Error(`the preload bridge lacks ${missing.join(', ')}`);
  return bridge;
}
