/**
 * In Electron the preload exposes `window.trafficRecorder` (`DesktopBridge`, src-shared/desktop-bridge.ts): every
 * operation of the table plus subscribe. This adapts it to RecorderClient: bridge
 * rejections are plain `{name:'RecorderBridgeError', code, message, field}` objects (contextBridge would strip
 * an Error down to its message), so they become RecorderClientError here.
 * There is no token: the main process answers only its own window.
 */
import { CALL_NAMES } from '../../src-shared/contract.js';
import { BRIDGE_KEY, BRIDGE_METHODS, isBridgeError } from '../../src-shared/desktop-bridge.js';
import type { DesktopBridge } from '../../src-shared/desktop-bridge.js';
import { HTTP_STATUS_FOR_CODE } from '../../src-shared/errors.js';
import { RecorderClientError } from './recorder-client.js';
import type { RecorderClient } from './recorder-client.js';

function toClientError(error: unknown): unknown {
  if (!isBridgeError(error)) return error;
  const status = HTTP_STATUS_FOR_CODE[error.code] ?? 500;
  return new RecorderClientError(error.message, error.code, status, error.field);
}

/** Every call of the bridge with its rejections as RecorderClientError; the stream as it is. */
export function adaptBridge(bridge: DesktopBridge): RecorderClient {
  const client: Record<string, unknown> = {};
  for (const name of CALL_NAMES) {
    const call = bridge[name] as (...input: unknown[]) => Promise<unknown>;
    client[name] = async (...input: unknown[]) => {
      try {
        return await call(...input);
      } catch (error) {
        throw toClientError(error);
      }
    };
  }
  client.subscribe = (...args: Parameters<DesktopBridge['subscribe']>) => bridge.subscribe(...args);
  return client as unknown as RecorderClient;
}

export function getIpcClient(): RecorderClient | null {
  const bridge = (window as unknown as Record<string, DesktopBridge | undefined>)[BRIDGE_KEY];
  if (!bridge) return null;
  const missing = BRIDGE_METHODS.filter((name) => typeof bridge[name] !== 'function');
  if (missing.length > 0) throw new Error(`the preload bridge lacks ${missing.join(', ')}`);
  return adaptBridge(bridge);
}
