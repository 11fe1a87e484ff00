/**
 * What the desktop shell needs from the engine, whichever process the engine runs in: the contract plus
 * search, body bytes and the stream, and the machine operations (CA, trust store, system proxy, setup, open
 * browser). `inProcessEngine` adapts a `Recorder` and its `MachineServices` directly; `EngineClient` talks to
 * them in the engine utility process. Both answer with promises and throw `ApiError`s.
 */
import type { RecorderOperations } from '../../src-shared/contract.js';
import type { MachineOperations } from '../../src-shared/machine.js';
import type { StreamMessage } from '../../src-shared/model.js';
import type { BodyWhich, EntryBodyBytes } from '../../src-shared/desktop-bridge.js';
import type { Recorder } from '../engine/sessions/recorder.js';
import type { MachineServices } from '../engine/machine/machine-services.js';

export type StreamBatchListener = (messages: StreamMessage[]) => void;

export interface DesktopEngine extends RecorderOperations, MachineOperations {
  searchEntries(id: string, text: string): Promise<string[]>;
  readEntryBody(id: string, entryId: string, which: BodyWhich, decoded: boolean): Promise<EntryBodyBytes>;
  /** Resolves once subscribed (rejects with not_found for an unknown session); the function unsubscribes. */
  subscribe(sessionId: string, listener: StreamBatchListener): Promise<() => void>;
}

/** Methods an engine answers with one value: everything but `subscribe`. */
export type EngineCallName = Exclude<keyof DesktopEngine, 'subscribe'>;

/**
 * `machine` runs where the recorder runs: it reads sessions from it and shares its CA instance (see
 * docs/desktop.md). Its answers are assigned to the shared `MachineOperations` types here, so a change of the
 * server's JSON that the UI types do not follow fails to compile.
 */
export function inProcessEngine(recorder: Recorder, machine: MachineServices): DesktopEngine {
  return {
    caStatus: () => machine.caStatus(),
    caGenerate: () => machine.caGenerate(),
    caDownload: () => machine.caCertificate(),
    trustStatus: () => machine.trustStatus(),
    trustInstall: (params) => machine.trustChange('install', params ?? {}),
    trustUninstall: (params) => machine.trustChange('uninstall', params ?? {}),
    systemProxyStatus: () => machine.systemProxyStatus(),
    systemProxyOn: (params) => machine.systemProxyOn(params),
    systemProxyOff: (params) => machine.systemProxyOff(params ?? {}),
    sessionSetup: ({ id }) => machine.sessionSetup(id),
    openBrowser: ({ id, ...options }) => machine.openBrowser(id, options),
    startSession: (input) => recorder.startSession(input),
    listSessions: () => recorder.listSessions(),
    getSession: (params) => recorder.getSession(params),
    stopSession: (params) => recorder.stopSession(params),
    restartSession: (params) => recorder.restartSession(params),
    deleteSession: (params) => recorder.deleteSession(params),
    listEntries: (params) => recorder.listEntries(params),
    getEntry: (params) => recorder.getEntry(params),
    patchEntry: (params) => recorder.patchEntry(params),
    ports: () => recorder.ports(),
    storage: async () => ({ storage: recorder.storageReport() }),
    portCheck: (params) => recorder.portCheck(params),
    searchEntries: async (id, text) => recorder.searchEntries(id, text),
    readEntryBody: async (id, entryId, which, decoded) => {
      const { bytes, contentType } = await recorder.readEntryBody(id, entryId, which, decoded);
      return contentType === undefined ? { bytes } : { bytes, contentType };
    },
    // The desktop stream feeds the renderer, which shows requests in flight.
    subscribe: async (sessionId, listener) => recorder.subscribe(sessionId, listener, { pending: true }),
  };
}
