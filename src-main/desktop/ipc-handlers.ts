/**
 * The IPC adapter over the operation table: one `ipcMain.handle` per row (`recorder:<name>`), all alike. Every
 * handler checks its sender frame, parses its input with the row's schema (the same one REST uses, so a bad call
 * gets the same `bad_request` naming the same field), and answers `{ ok, value }` or
 * `{ ok: false, error: { code, error, field } }`: errors are values across this boundary.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { ApiError } from '../../src-shared/errors.js';
import { CALL_NAMES, OPERATIONS, parseOperationInput, type CallName } from '../../src-shared/contract.js';
import { IPC_CHANNELS, STREAM_CHANNEL, type BridgeCallName, type IpcResult, type StreamPush } from '../../src-shared/desktop-bridge.js';
import type { EngineOperations } from '../engine/engine-operations.js';
import { asMessageValue, failure } from './engine-protocol.js';

export type IpcMainLike = Pick<IpcMain, 'handle' | 'removeHandler'>;
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

/** One operation that answers once, through whichever engine serves now (a streamed answer gathered: IPC carries one message). */
export async function callOperation(engine: EngineOperations, name: CallName, raw: unknown): Promise<unknown> {
  const input = parseOperationInput(name, raw);
  return asMessageValue(name, await (engine[name] as (input: unknown) => Promise<unknown>)(input));
}

export interface IpcBindingOptions {
  ipcMain: IpcMainLike;
  /** The engine, or a getter for the current one (it is replaced when the engine process restarts). */
  engine: EngineOperations | (() => EngineOperations);
  isTrustedSender: SenderCheck;
  /** Called after a call that may change whether anything records (start/stop/restart/delete). */
  onMutation?: () => void;
}

export interface IpcBinding {
  /** Forget the stream subscriptions of one webContents (it reloaded or is gone). */
  dropSender(webContentsId: number): void;
  /** End every stream subscription, telling each renderer why (engine restart). */
  closeAllStreams(reason: string): void;
  dispose(): void;
}

type Sender = IpcMainInvokeEvent['sender'];
interface Subscription {
  sender: Sender;
  cancelled: boolean;
  unsubscribe?: () => void;
}

export function bindIpcHandlers(options: IpcBindingOptions): IpcBinding {
  const { ipcMain, isTrustedSender } = options;
  const engine = typeof options.engine === 'function' ? options.engine : () => options.engine as EngineOperations;
  // webContents id → session id → subscription
  const streams = new Map<number, Map<string, Subscription>>();

  // `run` answers with a value or a promise of one; a throw or a rejection becomes the error value alike.
  const guarded = (name: BridgeCallName, run: (event: IpcMainInvokeEvent, raw: unknown) => unknown) => {
    ipcMain.handle(IPC_CHANNELS[name], async (event, ...args: unknown[]): Promise<IpcResult<unknown>> => {
      if (!isTrustedSender(event)) {
        return { ok: false, error: new ApiError('forbidden', `${name}: refused, the caller is not the app's own window`).toBody() };
      }
      try {
        if (args.length > 1) throw new ApiError('bad_request', `${name} takes one parameter object`);
        const value = await run(event, args[0]);
        if (name !== 'unsubscribe' && (OPERATIONS[name] as { mutates?: boolean }).mutates) options.onMutation?.();
        return { ok: true, value };
      } catch (e) {
        return failure(e);
      }
    });
  };

  for (const name of CALL_NAMES) guarded(name, (_event, raw) => callOperation(engine(), name, raw));

  const end = (senderId: number, sessionId: string) => {
    const perSender = streams.get(senderId);
    const sub = perSender?.get(sessionId);
    if (!perSender || !sub) return;
    perSender.delete(sessionId);
    if (perSender.size === 0) streams.delete(senderId);
    sub.cancelled = true;
    sub.unsubscribe?.();
  };

  // The stream row: subscribe (with the row's schema) and its end, per sender and session.
  guarded('subscribe', async (event, raw) => {
    const { id } = parseOperationInput('subscribe', raw);
    const sender = event.sender;
    let perSender = streams.get(sender.id);
    if (perSender?.has(id)) return { subscribed: id };
    if (!perSender) {
      streams.set(sender.id, (perSender = new Map<string, Subscription>()));
      sender.once('destroyed', () => binding.dropSender(sender.id));
    }
    const sub: Subscription = { sender, cancelled: false };
    perSender.set(id, sub);
    try {
      // The window shows requests in flight: the desktop stream always carries pending messages.
      const unsubscribe = await engine().subscribe({ id, batch: true, pending: true }, (messages) => {
        if (sub.cancelled || sender.isDestroyed()) return;
        const push: StreamPush = { sessionId: id, messages };
        sender.send(STREAM_CHANNEL, push);
      });
      if (sub.cancelled) unsubscribe();
      else sub.unsubscribe = unsubscribe;
    } catch (e) {
      end(sender.id, id);
      throw e;
    }
    return { subscribed: id };
  });

  guarded('unsubscribe', (event, raw) => {
    const { id } = parseOperationInput('subscribe', raw);
    end(event.sender.id, id);
    return { unsubscribed: id };
  });

  const binding: IpcBinding = {
    dropSender(webContentsId) {
      for (const sessionId of [...(streams.get(webContentsId)?.keys() ?? [])]) end(webContentsId, sessionId);
    },
    closeAllStreams(reason) {
      for (const [senderId, perSender] of [...streams]) {
        for (const [sessionId, sub] of [...perSender]) {
          end(senderId, sessionId);
          if (!sub.sender.isDestroyed()) sub.sender.send(STREAM_CHANNEL, { sessionId, closed: reason } satisfies StreamPush);
        }
      }
    },
    dispose() {
      for (const senderId of [...streams.keys()]) binding.dropSender(senderId);
      for (const channel of Object.values(IPC_CHANNELS)) ipcMain.removeHandler(channel);
    },
  };
  return binding;
}
