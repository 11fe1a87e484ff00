/**
 * Builds `window.trafficRecorder` from the operation table: one method per operation, each invoking its own channel,
 * results unwrapped from the `{ ok, value | error }` envelope. `ipcRenderer` is injected so tests run without
 * Electron; the object returned holds no reference to it that the page could reach (only closures).
 */
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import type { StreamMessage } from '../src-shared/model.js';
import { CALL_NAMES } from '../src-shared/contract.js';
import {
  IPC_CHANNELS,
  STREAM_CHANNEL,
  toBridgeError,
  type BridgeCallName,
  type BridgeError,
  type BridgeSubscribeOptions,
  type DesktopBridge,
  type IpcResult,
  type StreamPush,
} from '../src-shared/desktop-bridge.js';

/** The part of `ipcRenderer` the bridge uses. */
export type IpcRendererLike = Pick<IpcRenderer, 'invoke' | 'on'>;

interface Subscriber {
  onMessages: (messages: StreamMessage[]) => void;
  options?: BridgeSubscribeOptions;
}

/** A bridge promise rejects with a plain BridgeError: an Error would reach the page without its code and field. */
function rejectWith(error: BridgeError): Promise<never> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- contextBridge keeps only an Error's message; a plain object crosses intact
  return Promise.reject(error);
}

function internal(message: string): BridgeError {
  return { name: 'RecorderBridgeError', message, code: 'internal' };
}

export function buildBridge(ipc: IpcRendererLike): DesktopBridge {
  async function call(name: BridgeCallName, params?: unknown): Promise<unknown> {
    let result: IpcResult<unknown>;
    try {
      result = (await (params === undefined ? ipc.invoke(IPC_CHANNELS[name]) : ipc.invoke(IPC_CHANNELS[name], params))) as IpcResult<unknown>;
    } catch (e) {
      // Only Electron's own failures land here (no handler, frame gone): handlers answer with values.
      return rejectWith(internal(`${name}: ${(e as Error).message}`));
    }
    if (result && result.ok === true) return result.value;
    if (result && result.ok === false) return rejectWith(toBridgeError(result.error));
    return rejectWith(internal(`${name}: malformed answer from the main process`));
  }

  const subscribers = new Map<string, Set<Subscriber>>();

  ipc.on(STREAM_CHANNEL, (_event: IpcRendererEvent, push: StreamPush) => {
    const set = subscribers.get(push?.sessionId);
    if (!set) return;
    if ('closed' in push) {
      subscribers.delete(push.sessionId);
      for (const s of set) s.options?.onState?.('closed', push.closed);
      return;
    }
    for (const s of set) {
      try {
        s.onMessages(push.messages);
      } catch (e) {
        console.error(`stream callback for session ${push.sessionId} failed`, e);
      }
    }
  });

  function subscribe(sessionId: string, onMessages: (messages: StreamMessage[]) => void, options?: BridgeSubscribeOptions): () => void {
    const subscriber: Subscriber = { onMessages, options };
    let set = subscribers.get(sessionId);
    const first = !set;
    if (!set) subscribers.set(sessionId, (set = new Set()));
    set.add(subscriber);
    options?.onState?.('connecting');
    if (first) {
      call('subscribe', { id: sessionId }).then(
        () => {
          for (const s of subscribers.get(sessionId) ?? []) s.options?.onState?.('open');
        },
        (error: BridgeError) => {
          const failed = subscribers.get(sessionId);
          subscribers.delete(sessionId);
          for (const s of failed ?? []) s.options?.onState?.('closed', error.message);
        },
      );
    } else {
      options?.onState?.('open');
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const current = subscribers.get(sessionId);
      if (!current?.delete(subscriber) || current.size > 0) return;
      subscribers.delete(sessionId);
      call('unsubscribe', { id: sessionId }).catch(() => undefined);
    };
  }

  const bridge: Record<string, unknown> = {};
  for (const name of CALL_NAMES) bridge[name] = (params?: unknown) => call(name, params);
  bridge.subscribe = subscribe;
  return Object.freeze(bridge) as unknown as DesktopBridge;
}
