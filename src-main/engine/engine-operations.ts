/**
 * The engine's side of the operation table (src-shared/contract.ts): one method per row, taking the row's parsed
 * input. Every transport (REST, IPC, the engine process) calls these after validating at its own boundary, so
 * nothing here parses its input again. A new operation is a row in the table plus a method here.
 */
import { ApiError } from '../../src-shared/errors.js';
import type { CallName, OutputOf, ParsedInputOf } from '../../src-shared/contract.js';
import type { MachineServices } from './machine/machine-services.js';
import type { Recorder } from './sessions/recorder.js';
import type { StreamMessage } from '../../src-shared/model.js';
import type { EncodedBatch } from './sessions/stream-hub.js';
import { configOperations } from './configs/config-operations.js';
import { mockOperations } from './mocks/mock-operations.js';
import { harOperations } from './export/har-operations.js';
import { scriptOperations } from './export/script-operations.js';
import { mockartyOperations } from './mockarty/mockarty-operations.js';

/** An input every field of which is optional may be left out (internal callers such as the tray). */
type ParsedArgs<N extends CallName> = Record<never, never> extends ParsedInputOf<N> ? [input?: ParsedInputOf<N>] : [input: ParsedInputOf<N>];

export type EngineCalls = { [N in CallName]: (...args: ParsedArgs<N>) => Promise<OutputOf<N>> };

/** A batch of stream messages; in the engine's own process also its wire forms, built once for every socket. */
export type StreamBatchListener = (messages: StreamMessage[], encoded?: EncodedBatch) => void;

export interface EngineOperations extends EngineCalls {
  /** Resolves once subscribed (rejects with not_found for an unknown session); the function unsubscribes. */
  subscribe(input: ParsedInputOf<'subscribe'>, listener: StreamBatchListener): Promise<() => void>;
}

const CA_FILE_NAME = 'traffic-recorder-ca.pem';

/**
 * `machine` runs where the recorder runs: it reads sessions from it and shares its CA instance (docs/desktop.md).
 * Without it (a bare API server in tests) the machine operations answer not_supported.
 */
export function engineOperations(recorder: Recorder, machine?: MachineServices): EngineOperations {
  const m = (): MachineServices => {
    if (!machine) throw new ApiError('not_supported', 'this server runs without the machine services (CA, trust store, system proxy)');
    return machine;
  };
  return {
    startSession: (input) => recorder.startSession(input ?? {}),
    listSessions: () => recorder.listSessions(),
    ports: () => recorder.ports(),
    portCheck: (input) => recorder.portCheck(input),
    storage: () => recorder.storage(),
    caStatus: () => m().caStatus(),
    caGenerate: () => m().caGenerate(),
    caDownload: async () => ({ bytes: Buffer.from(await m().caCertificate()), contentType: 'application/x-pem-file', fileName: CA_FILE_NAME }),
    trustStatus: () => m().trustStatus(),
    trustInstall: (input) => m().trustChange('install', input ?? {}),
    trustUninstall: (input) => m().trustChange('uninstall', input ?? {}),
    systemProxyStatus: () => m().systemProxyStatus(),
    systemProxyOn: (input) => m().systemProxyOn(input),
    systemProxyOff: (input) => m().systemProxyOff(input ?? {}),
    getSession: (input) => recorder.getSession(input),
    stopSession: (input) => recorder.stopSession(input),
    restartSession: (input) => recorder.restartSession(input),
    deleteSession: (input) => recorder.deleteSession(input),
    getToxics: (input) => recorder.getToxics(input),
    updateToxics: (input) => recorder.updateToxics(input),
    getModifications: (input) => recorder.getModifications(input),
    updateModifications: (input) => recorder.updateModifications(input),
    sessionSetup: ({ id }) => m().sessionSetup(id),
    openBrowser: ({ id, ...options }) => m().openBrowser(id, options),
    listEntries: (input) => recorder.listEntries(input),
    searchEntries: async ({ id, q, limit }) => ({ ids: await recorder.searchEntries(id, q, limit) }),
    getEntry: (input) => recorder.getEntry(input),
    patchEntry: (input) => recorder.patchEntry(input),
    readEntryBody: async ({ id, entryId, which, decoded }) => {
      const { bytes, contentType } = await recorder.readEntryBody(id, entryId, which, decoded);
      return contentType === undefined ? { bytes } : { bytes, contentType };
    },
    ...mockOperations(recorder.mocks),
    ...configOperations(recorder),
    ...harOperations(recorder),
    ...mockartyOperations(recorder),
    ...scriptOperations(recorder),
    // A refusal (no such session) is a rejection, as from every other operation.
    subscribe: ({ id, pending }, listener) => new Promise((resolve) => resolve(recorder.subscribe(id, listener, { pending }))),
  };
}
