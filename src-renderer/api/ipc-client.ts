/**
 * In Electron the preload exposes `window.trafficRecorder` (`DesktopBridge`, src-shared/desktop-bridge.ts):
 * the contract and the machine operations plus searchEntries, readEntryBody and subscribe. This adapts it to RecorderClient: bridge
 * rejections are plain `{name:'RecorderBridgeError', code, message, field}` objects (contextBridge would strip
 * an Error down to its message), so they become RecorderClientError here; body bytes become a Blob.
 * There is no token: the main process answers only its own window.
 */
import { BRIDGE_KEY, BRIDGE_METHODS, isBridgeError } from '../../src-shared/desktop-bridge.js';
import type { DesktopBridge } from '../../src-shared/desktop-bridge.js';
import { HTTP_STATUS_FOR_CODE } from '../../src-shared/errors.js';
import type { ApiErrorCode } from '../../src-shared/errors.js';
import { RecorderClientError } from './recorder-client.js';
import type { RecorderClient } from './recorder-client.js';

function toClientError(error: unknown): unknown {
  if (!isBridgeError(error)) return error;
  const status = HTTP_STATUS_FOR_CODE[error.code as ApiErrorCode] ?? 500;
  return new RecorderClientError(error.message, error.code, status, error.field);
}

function wrap<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) => fn(...args).catch((error: unknown) => Promise.reject(toClientError(error)));
}

export function adaptBridge(bridge: DesktopBridge): RecorderClient {
  return {
    startSession: wrap((input) => bridge.startSession(input)),
    listSessions: wrap(() => bridge.listSessions()),
    getSession: wrap((p) => bridge.getSession(p)),
    stopSession: wrap((p) => bridge.stopSession(p)),
    restartSession: wrap((p) => bridge.restartSession(p)),
    deleteSession: wrap((p) => bridge.deleteSession(p)),
    listEntries: wrap((p) => bridge.listEntries(p)),
    getEntry: wrap((p) => bridge.getEntry(p)),
    patchEntry: wrap((p) => bridge.patchEntry(p)),
    ports: wrap(() => bridge.ports()),
    storage: wrap(() => bridge.storage()),
    getStorage: wrap(() => bridge.storage()),
    portCheck: wrap((p) => bridge.portCheck(p)),
    searchEntries: wrap((p) => bridge.searchEntries(p)),
    getEntryBody: wrap(async (p) => {
      const { bytes, contentType } = await bridge.readEntryBody(p);
      return new Blob([bytes as Uint8Array<ArrayBuffer>], contentType ? { type: contentType } : {});
    }),
    caStatus: wrap(() => bridge.caStatus()),
    caGenerate: wrap(() => bridge.caGenerate()),
    caDownload: wrap(() => bridge.caDownload()),
    trustStatus: wrap(() => bridge.trustStatus()),
    trustInstall: wrap((params) => bridge.trustInstall(params ?? {})),
    trustUninstall: wrap((params) => bridge.trustUninstall(params ?? {})),
    systemProxyStatus: wrap(() => bridge.systemProxyStatus()),
    systemProxyOn: wrap((params) => bridge.systemProxyOn(params)),
    systemProxyOff: wrap((params) => bridge.systemProxyOff(params ?? {})),
    sessionSetup: wrap((id) => bridge.sessionSetup({ id })),
    openBrowser: wrap((id, options) => bridge.openBrowser({ ...options, id })),
    subscribe: (sessionId, onMessages, options) => bridge.subscribe(sessionId, onMessages, options),
  };
}

export function getIpcClient(): RecorderClient | null {
  const bridge = (window as unknown as Record<string, DesktopBridge | undefined>)[BRIDGE_KEY];
  if (!bridge) return null;
  const missing = BRIDGE_METHODS.filter((name) => typeof bridge[name] !== 'function');
  if (missing.length > 0) throw new Error(`the preload bridge lacks ${missing.join(', ')}`);
  return adaptBridge(bridge);
}
