/**
 * The IPC adapter over the contract: one `ipcMain.handle` per channel, a few lines each. Every handler checks
 * its sender frame, parses its input with the shared schemas, and answers `{ ok, value }` or
 * `{ ok: false, error: { code, error, field } }`: errors are values across this boundary.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { ApiError } from '../../src-shared/errors.js';
import { IPC_CHANNELS, STREAM_CHANNEL, type BridgeCallName, type IpcResult, type StreamPush } from '../../src-shared/desktop-bridge.js';
import type { DesktopEngine } from './engine-api.js';
import {
  bodyInput,
  entryRef,
  listEntriesInput,
  noInput,
  openBrowserInput,
  patchEntryInput,
  portCheckInput,
  searchInput,
  sessionRef,
  startSessionInput,
  systemProxyOffInput,
  systemProxyOnInput,
  trustInput,
} from './ipc-inputs.js';

export type IpcMainLike = Pick<IpcMain, 'handle' | 'removeHandler'>;
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

type Handler = (engine: DesktopEngine, raw: unknown) => Promise<unknown>;
type StreamCall = 'subscribe' | 'unsubscribe';

/** Operations that change what the tray shows (sessions, CA trust, system proxy). Dry runs change nothing but are cheap to redraw. */
const MUTATIONS = new Set<BridgeCallName>([
  'startSession', 'stopSession', 'restartSession', 'deleteSession',
  'caGenerate', 'trustInstall', 'trustUninstall', 'systemProxyOn', 'systemProxyOff',
]);

export const CALL_HANDLERS: Readonly<Record<Exclude<BridgeCallName, StreamCall>, Handler>> = {
  startSession: (e, raw) => e.startSession(startSessionInput(raw)),
  listSessions: (e, raw) => (noInput(raw), e.listSessions()),
  getSession: (e, raw) => e.getSession(sessionRef(raw)),
  stopSession: (e, raw) => e.stopSession(sessionRef(raw)),
  restartSession: (e, raw) => e.restartSession(sessionRef(raw)),
  deleteSession: (e, raw) => e.deleteSession(sessionRef(raw)),
  listEntries: (e, raw) => e.listEntries(listEntriesInput(raw)),
  getEntry: (e, raw) => e.getEntry(entryRef(raw)),
  patchEntry: (e, raw) => e.patchEntry(patchEntryInput(raw)),
  ports: (e, raw) => (noInput(raw), e.ports()),
  storage: (e, raw) => (noInput(raw), e.storage()),
  portCheck: (e, raw) => e.portCheck(portCheckInput(raw)),
  searchEntries: async (e, raw) => {
    const { id, q } = searchInput(raw);
    return { ids: await e.searchEntries(id, q) };
  },
  readEntryBody: (e, raw) => {
    const { id, entryId, which, decoded } = bodyInput(raw);
    return e.readEntryBody(id, entryId, which, decoded);
  },
  caStatus: (e, raw) => (noInput(raw), e.caStatus()),
  caGenerate: (e, raw) => (noInput(raw), e.caGenerate()),
  caDownload: (e, raw) => (noInput(raw), e.caDownload()),
  trustStatus: (e, raw) => (noInput(raw), e.trustStatus()),
  trustInstall: (e, raw) => e.trustInstall(trustInput(raw)),
  trustUninstall: (e, raw) => e.trustUninstall(trustInput(raw)),
  systemProxyStatus: (e, raw) => (noInput(raw), e.systemProxyStatus()),
  systemProxyOn: (e, raw) => e.systemProxyOn(systemProxyOnInput(raw)),
  systemProxyOff: (e, raw) => e.systemProxyOff(systemProxyOffInput(raw)),
  sessionSetup: (e, raw) => e.sessionSetup(sessionRef(raw)),
  openBrowser: (e, raw) => e.openBrowser(openBrowserInput(raw)),
};

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  console.error('desktop IPC: internal error', error);
  return new ApiError('internal', `internal error: ${error instanceof Error ? error.message : String(error)}`);
}

export function failure(error: unknown): IpcResult<never> {
  return { ok: false, error: toApiError(error).toBody() };
}

export interface IpcBindingOptions {
  ipcMain: IpcMainLike;
  /** The engine, or a getter for the current one (it is replaced when the engine process restarts). */
  engine: DesktopEngine | (() => DesktopEngine);
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
  const engine = typeof options.engine === 'function' ? options.engine : () => options.engine as DesktopEngine;
  // webContents id → session id → subscription
  const streams = new Map<number, Map<string, Subscription>>();

  const guarded = (name: BridgeCallName, run: (event: IpcMainInvokeEvent, raw: unknown) => Promise<unknown>) => {
    ipcMain.handle(IPC_CHANNELS[name], async (event, ...args: unknown[]): Promise<IpcResult<unknown>> => {
      if (!isTrustedSender(event)) {
        return { ok: false, error: new ApiError('forbidden', `${name}: refused, the caller is not the app's own window`).toBody() };
      }
      try {
        if (args.length > 1) throw new ApiError('bad_request', `${name} takes one parameter object`);
        const value = await run(event, args[0]);
        if (MUTATIONS.has(name)) options.onMutation?.();
        return { ok: true, value };
      } catch (e) {
        return failure(e);
      }
    });
  };

  for (const name of Object.keys(CALL_HANDLERS) as (keyof typeof CALL_HANDLERS)[]) {
    guarded(name, (_event, raw) => CALL_HANDLERS[name](engine(), raw));
  }

  const end = (senderId: number, sessionId: string) => {
    const perSender = streams.get(senderId);
    const sub = perSender?.get(sessionId);
    if (!perSender || !sub) return;
    perSender.delete(sessionId);
    if (perSender.size === 0) streams.delete(senderId);
    sub.cancelled = true;
    sub.unsubscribe?.();
  };

  guarded('subscribe', async (event, raw) => {
    const { id } = sessionRef(raw);
    const sender = event.sender;
    let perSender = streams.get(sender.id);
    if (perSender?.has(id)) return { subscribed: id };
    if (!perSender) {
      streams.set(sender.id, (perSender = new Map()));
      sender.once('destroyed', () => binding.dropSender(sender.id));
    }
    const sub: Subscription = { sender, cancelled: false };
    perSender.set(id, sub);
    try {
      const unsubscribe = await engine().subscribe(id, (messages) => {
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

  guarded('unsubscribe', async (event, raw) => {
    const { id } = sessionRef(raw);
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
