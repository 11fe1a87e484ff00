/**
 * The main-process side of the engine utility process: a `DesktopEngine` whose every call is a message and
 * whose answers come back as values, turned into `ApiError`s again here so the IPC layer treats both
 * process models the same.
 */
import { ApiError, isApiErrorBody } from '../../src-shared/errors.js';
import type { IpcResult } from '../../src-shared/desktop-bridge.js';
import type { DesktopEngine, EngineCallName, StreamBatchListener } from './engine-api.js';
import type { FromEngine, PortLike, ToEngine } from './engine-protocol.js';

interface Pending {
  resolve(value: unknown): void;
  reject(error: ApiError): void;
}

export class EngineClient implements DesktopEngine {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, StreamBatchListener>();
  private failed: ApiError | undefined;
  private readonly off: () => void;
  private readyResolve!: () => void;
  private readyReject!: (error: ApiError) => void;
  /** Resolves when the engine process reports it has opened the store and is serving. */
  readonly ready: Promise<void>;

  constructor(private readonly port: PortLike) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.ready.catch(() => undefined);
    this.off = port.onMessage((raw) => this.receive(raw as FromEngine));
  }

  /** The process is gone: every pending and future call fails with `error`. */
  fail(error: ApiError): void {
    if (this.failed) return;
    this.failed = error;
    this.readyReject(error);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.streams.clear();
    this.off();
  }

  get alive(): boolean {
    return this.failed === undefined;
  }

  startSession: DesktopEngine['startSession'] = (input) => this.call('startSession', [input]) as never;
  listSessions: DesktopEngine['listSessions'] = () => this.call('listSessions', []) as never;
  getSession: DesktopEngine['getSession'] = (params) => this.call('getSession', [params]) as never;
  stopSession: DesktopEngine['stopSession'] = (params) => this.call('stopSession', [params]) as never;
  restartSession: DesktopEngine['restartSession'] = (params) => this.call('restartSession', [params]) as never;
  deleteSession: DesktopEngine['deleteSession'] = (params) => this.call('deleteSession', [params]) as never;
  listEntries: DesktopEngine['listEntries'] = (params) => this.call('listEntries', [params]) as never;
  getEntry: DesktopEngine['getEntry'] = (params) => this.call('getEntry', [params]) as never;
  patchEntry: DesktopEngine['patchEntry'] = (params) => this.call('patchEntry', [params]) as never;
  ports: DesktopEngine['ports'] = () => this.call('ports', []) as never;
  storage: DesktopEngine['storage'] = () => this.call('storage', []) as never;
  portCheck: DesktopEngine['portCheck'] = (params) => this.call('portCheck', [params]) as never;
  searchEntries: DesktopEngine['searchEntries'] = (id, text) => this.call('searchEntries', [id, text]) as never;
  readEntryBody: DesktopEngine['readEntryBody'] = (id, entryId, which, decoded) =>
    this.call('readEntryBody', [id, entryId, which, decoded]) as never;
  caStatus: DesktopEngine['caStatus'] = () => this.call('caStatus', []) as never;
  caGenerate: DesktopEngine['caGenerate'] = () => this.call('caGenerate', []) as never;
  caDownload: DesktopEngine['caDownload'] = () => this.call('caDownload', []) as never;
  trustStatus: DesktopEngine['trustStatus'] = () => this.call('trustStatus', []) as never;
  trustInstall: DesktopEngine['trustInstall'] = (params) => this.call('trustInstall', [params]) as never;
  trustUninstall: DesktopEngine['trustUninstall'] = (params) => this.call('trustUninstall', [params]) as never;
  systemProxyStatus: DesktopEngine['systemProxyStatus'] = () => this.call('systemProxyStatus', []) as never;
  systemProxyOn: DesktopEngine['systemProxyOn'] = (params) => this.call('systemProxyOn', [params]) as never;
  systemProxyOff: DesktopEngine['systemProxyOff'] = (params) => this.call('systemProxyOff', [params]) as never;
  sessionSetup: DesktopEngine['sessionSetup'] = (params) => this.call('sessionSetup', [params]) as never;
  openBrowser: DesktopEngine['openBrowser'] = (params) => this.call('openBrowser', [params]) as never;

  async subscribe(sessionId: string, listener: StreamBatchListener): Promise<() => void> {
    const sub = this.nextId++;
    this.streams.set(sub, listener);
    try {
      await this.request((id) => ({ kind: 'subscribe', id, sub, sessionId }));
    } catch (e) {
      this.streams.delete(sub);
      throw e;
    }
    return () => {
      if (!this.streams.delete(sub) || this.failed) return;
      this.port.postMessage({ kind: 'unsubscribe', sub } satisfies ToEngine);
    };
  }

  /** Ask the engine to stop every session and flush the store; resolves when it has. */
  async shutdown(): Promise<void> {
    await this.request((id) => ({ kind: 'shutdown', id }));
  }

  private call(method: EngineCallName, args: unknown[]): Promise<unknown> {
    return this.request((id) => ({ kind: 'call', id, method, args }));
  }

  private request(build: (id: number) => ToEngine): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.port.postMessage(build(id));
      } catch (e) {
        this.pending.delete(id);
        reject(new ApiError('internal', `engine process unreachable: ${(e as Error).message}`));
      }
    });
  }

  private receive(message: FromEngine): void {
    if (typeof message !== 'object' || message === null) return;
    switch (message.kind) {
      case 'ready':
        this.readyResolve();
        return;
      case 'fatal':
        this.fail(new ApiError('internal', `the engine could not start: ${message.message}`));
        return;
      case 'reply': {
        const p = this.pending.get(message.id);
        if (!p) return;
        this.pending.delete(message.id);
        settle(message.result, p);
        return;
      }
      case 'stream':
        this.streams.get(message.sub)?.(message.messages);
        return;
      default: {
        const never: never = message;
        console.warn('engine client: ignored message', never);
      }
    }
  }
}

function settle(result: IpcResult<unknown>, p: Pending): void {
  if (result.ok) return p.resolve(result.value);
  const body = result.error;
  if (isApiErrorBody(body)) p.reject(new ApiError(body.code, body.error, body.field));
  else p.reject(new ApiError('internal', 'malformed error from the engine process'));
}
