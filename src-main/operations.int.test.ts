/**
 * The operation table, enumerated: every row answers through each transport derived from it, against one real
 * engine (a real recorder over a real store, a real upstream, real MachineServices with dry runs and a fake
 * browser executable):
 * - REST: the server's routes, called with the shared REST client (the CLI's and the browser UI's);
 * - IPC: the handlers bound to a fake ipcMain, called through the real preload bridge;
 * - the engine-process protocol: EngineClient ↔ serveEngine over a worker_threads MessageChannel.
 * Each transport sees the same outcome (a value of the same shape, or the same error code), and a bad input gets the
 * same bad_request naming the same field on REST and IPC: the row's schema validates, once, at each boundary.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CALL_NAMES,
  OPERATIONS,
  OPERATION_NAMES,
  WS_TOKEN_PROTOCOL_PREFIX,
  parseOperationInput,
  type CallName,
  type InputOf,
} from '../src-shared/contract.js';
import { isBridgeError, type DesktopBridge } from '../src-shared/desktop-bridge.js';
import type { Entry, StreamMessage } from '../src-shared/model.js';
import { createRestClient, type RestClient } from '../src-shared/rest-client.js';
import { buildBridge } from '../src-preload/bridge.js';
import { CertificateAuthority } from './engine/ca/index.js';
import { engineOperations } from './engine/engine-operations.js';
import { MachineServices } from './engine/machine/machine-services.js';
import { EngineClient } from './desktop/engine-client.js';
import { serveEngine } from './desktop/engine-service.js';
import { bindIpcHandlers, type IpcBinding } from './desktop/ipc-handlers.js';
import { createSenderCheck } from './desktop/sender-check.js';
import { FakeIpcMain, FakeIpcRenderer, FakeSender } from './desktop/test-support/ipc-fakes.js';
import { startApiServer, type ApiServer } from './server/api-server.js';
import { startEngine, tempDir, waitForEntries, type TestEngine } from './test-support/engine.js';
import { startUpstream, type Upstream } from './test-support/upstream.js';
import { portOf } from './desktop/test-support/message-port.js';
import type { FeatureSamples, SampleContext, Transport } from './test-support/operation-samples.js';
import { HAR_SAMPLES } from './engine/export/har-operation-samples.js';
import { MOCKARTY_SAMPLES } from './engine/mockarty/mockarty-operation-samples.js';
import { SCRIPT_SAMPLES } from './engine/export/script-operation-samples.js';

const TOKEN = 'operations-table-token';
const OWN = 3;
type Outcome = { ok: true; value: unknown } | { ok: false; code: string; field?: string };

let engine: TestEngine;
let upstream: Upstream;
let machine: MachineServices;
let api: ApiServer;
let binding: IpcBinding;
let channel: { port1: MessagePort; port2: MessagePort };
let bin: string;
const clients = {} as { rest: RestClient; ipc: DesktopBridge; engine: EngineClient };
/** The recorded session and entry the read operations look at. */
let shared: { id: string; entry: Entry };

beforeAll(async () => {
  bin = await tempDir('tr-ops-browser-');
  const browser = path.join(bin, 'stays-up');
  await fs.writeFile(browser, '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
  process.env.TRAFFIC_RECORDER_BROWSER = browser;

  engine = await startEngine();
  upstream = await startUpstream();
  let ca: Promise<CertificateAuthority> | undefined;
  machine = new MachineServices(engine.dataDir, engine.recorder, () => (ca ??= CertificateAuthority.loadOrCreate(engine.dataDir)));
  const operations = engineOperations(engine.recorder, machine);

  api = await startApiServer({ recorder: engine.recorder, machine, token: TOKEN, port: 0 });
  clients.rest = createRestClient({ server: api.url, token: () => TOKEN });

  const ipcMain = new FakeIpcMain();
  binding = bindIpcHandlers({ ipcMain, engine: operations, isTrustedSender: createSenderCheck((id) => id === OWN) });
  clients.ipc = buildBridge(new FakeIpcRenderer(ipcMain, new FakeSender(OWN)) as never);

  channel = new MessageChannel();
  serveEngine(portOf(channel.port2), operations, () => Promise.resolve());
  clients.engine = new EngineClient(portOf(channel.port1));
  channel.port2.postMessage({ kind: 'ready' });
  await clients.engine.ready;

  const { session } = await engine.recorder.startSession({ name: 'shared', targetUrl: upstream.url });
  const res = await fetch(`${session.proxyUrl}/recorded?x=1`, { method: 'POST', body: 'operation-table-body' });
  await res.arrayBuffer();
  await waitForEntries(engine.recorder, session.id, 1);
  const { entries } = await engine.recorder.listEntries({ id: session.id });
  // Annotated already as patchEntry will annotate it: every transport then reads the same entry.
  await engine.recorder.patchEntry({ id: session.id, entryId: entries[0]!.id, tags: ['annotated'], notes: 'same on every transport' });
  shared = { id: session.id, entry: entries[0]! };
  for (const feature of FEATURES) await feature.setup?.(sampleContext);
});

afterAll(async () => {
  for (const feature of FEATURES) await feature.teardown?.();
  binding?.dispose();
  channel?.port1.close();
  await api?.close();
  await machine?.close();
  await engine?.close();
  await upstream?.close();
  delete process.env.TRAFFIC_RECORDER_BROWSER;
  if (bin) await fs.rm(bin, { recursive: true, force: true });
});

/** One call through one transport: the EngineClient link carries inputs the IPC boundary has already parsed. */
async function through(transport: Transport, name: CallName, input: unknown): Promise<Outcome> {
  try {
    let value: unknown;
    if (transport === 'engine') {
      const call = clients.engine[name] as (input: unknown) => Promise<unknown>;
      value = await call(parseOperationInput(name, input));
    } else {
      const call = clients[transport][name] as (input?: unknown) => Promise<unknown>;
      value = await call(input);
    }
    return { ok: true, value };
  } catch (e) {
    const error = e as { code?: string; field?: string };
    if (isBridgeError(e) || typeof error.code === 'string') return { ok: false, code: error.code!, ...(error.field ? { field: error.field } : {}) };
    throw e;
  }
}

/** Per transport: its own forward session for the lifecycle, the browser and the system proxy operations. */
const own = {} as Record<Transport, string>;

/** Per transport: the saved configs its saveConfig and importConfig answered (EXPECT notes them). */
const configIds = {} as Record<Transport, { saved: string; imported: string }>;

/** A valid input for every row; the record type makes a new row without a sample a compile error. */
const FEATURES: FeatureSamples<CallName>[] = [HAR_SAMPLES, MOCKARTY_SAMPLES, SCRIPT_SAMPLES] as FeatureSamples<CallName>[];
const sampleContext: SampleContext = { get shared() { return shared; }, own };
/** A feature's samples (`(t, ctx)`) and expectations (`(value, t, ctx)`) with the context bound as their last argument. */
function bound(table: object | undefined, arity: 1 | 2): Record<string, (...args: unknown[]) => unknown> {
  return Object.fromEntries(Object.entries(table ?? {}).map(([k, f]) => [k, (...args: unknown[]) => (f as (...a: unknown[]) => unknown)(...args.slice(0, arity), sampleContext)]));
}
function samplesOf<Names extends CallName>(feature: FeatureSamples<Names>): { [N in Names]: (t: Transport) => InputOf<N> } {
  return bound(feature.samples, 1) as unknown as { [N in Names]: (t: Transport) => InputOf<N> };
}

const SAMPLES: { [N in CallName]: (t: Transport) => InputOf<N> } = {
  ...samplesOf(HAR_SAMPLES),
  ...samplesOf(MOCKARTY_SAMPLES),
  ...samplesOf(SCRIPT_SAMPLES),
  startSession: (t) => ({ name: `own-${t}`, mode: 'forward' }),
  listSessions: () => ({}),
  ports: () => ({}),
  portCheck: () => ({ port: 8999 }),
  storage: () => ({}),
  caStatus: () => ({}),
  caGenerate: () => ({}),
  caDownload: () => ({}),
  trustStatus: () => ({}),
  trustInstall: () => ({ dryRun: true, scope: 'user', nssDbs: ['/nonexistent/nssdb'] }),
  trustUninstall: () => ({ dryRun: true, scope: 'user', nssDbs: ['/nonexistent/nssdb'] }),
  systemProxyStatus: () => ({}),
  systemProxyOn: (t) => ({ sessionId: own[t], dryRun: true }),
  systemProxyOff: () => ({ dryRun: true }),
  getSession: () => ({ id: shared.id }),
  sessionSetup: () => ({ id: shared.id }),
  // On the transport's own session: the shared one must read the same on every transport.
  getToxics: (t) => ({ id: own[t] }),
  updateToxics: (t) => ({ id: own[t], toxics: { http: { delayMs: 0, errorStatus: 504 } } }),
  getModifications: (t) => ({ id: own[t] }),
  updateModifications: (t) => ({ id: own[t], modifications: { requestHeaders: [{ action: 'add', name: 'X-Op', value: 'same' }] } }),
  openBrowser: (t) => ({ id: own[t], headless: true }),
  listEntries: () => ({ id: shared.id, limit: 10, bodies: true }),
  searchEntries: () => ({ id: shared.id, q: 'operation-table-body' }),
  getEntry: () => ({ id: shared.id, entryId: shared.entry.id }),
  patchEntry: () => ({ id: shared.id, entryId: shared.entry.id, tags: ['annotated'], notes: 'same on every transport' }),
  readEntryBody: () => ({ id: shared.id, entryId: shared.entry.id, which: 'request' }),
  stopSession: (t) => ({ id: own[t] }),
  restartSession: (t) => ({ id: own[t] }),
  deleteSession: (t) => ({ id: own[t] }),
  listConfigs: () => ({}),
  // The same name on every transport, so that each exports the same file.
  saveConfig: () => ({ name: 'saved', mode: 'forward', filters: { includePaths: ['/v1/*'] } }),
  importConfig: (t) => ({ name: `imported-${t}`, targetUrl: 'http://127.0.0.1:1' }),
  getConfig: (t) => ({ configId: configIds[t].saved }),
  deleteConfig: (t) => ({ configId: configIds[t].imported }),
  exportConfig: (t) => ({ configId: configIds[t].saved }),
  // The same mocks on every transport (each run deletes its single mock again); the list reads a namespace of its own.
  saveMock: () => ({ id: 'op-mock', namespace: 'op-single', http: { route: '/op/:id', httpMethod: 'GET' }, response: { statusCode: 200, payload: { op: true } } }),
  saveMocks: () => ({ mocks: ['a', 'b'].map((n) => ({ id: `op-batch-${n}`, namespace: 'op-batch', tags: ['op'], http: { route: `/op/${n}` }, response: { payload: n } })) }),
  listMocks: () => ({ namespace: 'op-batch', tags: 'op', limit: 10 }),
  getMock: () => ({ id: 'op-mock' }),
  patchMock: () => ({ id: 'op-mock', priority: 3, tags: ['patched'] }),
  deleteMock: () => ({ id: 'op-mock' }),
  listNamespaces: () => ({}),
};

/** What each successful answer must hold, whichever transport carried it. */
const EXPECT: Partial<{ [N in CallName]: (value: any, t: Transport) => void }> = {
  ...Object.assign({}, ...FEATURES.map((f) => bound(f.expect, 2))),
  startSession: (v) => expect(v.session).toMatchObject({ mode: 'forward', status: 'running' }),
  listSessions: (v) => expect(v.sessions.map((s: { id: string }) => s.id)).toContain(shared.id),
  caDownload: (v) => {
    expect(new TextDecoder().decode(v.bytes)).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(v.contentType).toMatch(/^application\/x-pem-file/);
  },
  getSession: (v) => expect(v.session).toMatchObject({ id: shared.id, entryCount: 1 }),
  updateToxics: (v) => expect(v).toEqual({ toxics: { http: { delayMs: 0, errorStatus: 504 } } }),
  getToxics: (v) => expect(v).toEqual({ toxics: { http: { delayMs: 0, errorStatus: 504 } } }),
  updateModifications: (v) => expect(v).toEqual({ modifications: { requestHeaders: [{ action: 'add', name: 'X-Op', value: 'same' }] } }),
  getModifications: (v) => expect(v).toEqual({ modifications: { requestHeaders: [{ action: 'add', name: 'X-Op', value: 'same' }] } }),
  openBrowser: (v) => expect(v.executable).toBe(process.env.TRAFFIC_RECORDER_BROWSER),
  listEntries: (v) => expect(v).toMatchObject({ total: 1, entries: [{ id: shared.entry.id }] }),
  searchEntries: (v) => expect(v).toEqual({ ids: [shared.entry.id] }),
  patchEntry: (v) => expect(v.entry).toMatchObject({ tags: ['annotated'], notes: 'same on every transport' }),
  readEntryBody: (v) => expect(new TextDecoder().decode(v.bytes)).toBe('operation-table-body'),
  stopSession: (v) => expect(v.session.status).toBe('stopped'),
  restartSession: (v) => expect(v.session.status).toBe('running'),
  deleteSession: (v, t) => expect(v).toEqual({ deleted: true, id: own[t] }),
  listConfigs: (v) => expect(v).toMatchObject({ max: 10, total: v.configs.length }),
  saveConfig: (v, t) => {
    expect(v.config).toMatchObject({ name: 'saved', config: { mode: 'forward', filters: { includePaths: ['/v1/*'] } } });
    configIds[t] = { saved: v.config.id, imported: '' };
  },
  importConfig: (v, t) => {
    expect(v.config).toMatchObject({ name: `imported-${t}`, config: { targetUrl: 'http://127.0.0.1:1' } });
    configIds[t].imported = v.config.id;
  },
  getConfig: (v, t) => expect(v.config).toMatchObject({ id: configIds[t].saved, name: 'saved' }),
  deleteConfig: (v, t) => expect(v).toEqual({ deleted: true, id: configIds[t].imported }),
  exportConfig: (v) => expect(JSON.parse(new TextDecoder().decode(v.bytes))).toEqual({ name: 'saved', mode: 'forward', filters: { includePaths: ['/v1/*'] } }),
};

/** Answers that differ between calls by nature (timestamps, ports, pids, state the calls change), left out of the comparison; `savedAt` (now) everywhere. */
const VOLATILE = new Set<string>([
  ...FEATURES.flatMap((f) => f.volatile ?? []),'caStatus', 'startSession', 'stopSession', 'restartSession', 'deleteSession', 'openBrowser', 'patchEntry', 'storage', 'ports', 'listSessions', 'caGenerate', 'systemProxyOn', 'listConfigs', 'saveConfig', 'importConfig', 'getConfig', 'deleteConfig']);

describe('the operation table', () => {
  it('has a sample for every row that answers once, and one stream row', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...CALL_NAMES].sort());
    expect(OPERATION_NAMES.filter((n) => OPERATIONS[n].kind === 'stream')).toEqual(['subscribe']);
  });

  it('answers every operation through REST, IPC and the engine-process protocol alike', async () => {
    const outcomes = new Map<CallName, Partial<Record<Transport, Outcome>>>();
    // The table's order, but a transport's own session ends last (stop, restart, delete).
    const ending: CallName[] = ['stopSession', 'restartSession', 'deleteSession'];
    const order = [...CALL_NAMES.filter((n) => !ending.includes(n)), ...ending];
    for (const transport of ['rest', 'ipc', 'engine'] as const) {
      for (const name of order) {
        const outcome = await through(transport, name, SAMPLES[name](transport));
        if (name === 'startSession' && outcome.ok) own[transport] = (outcome.value as { session: { id: string } }).session.id;
        outcomes.set(name, { ...outcomes.get(name), [transport]: outcome });
        if (outcome.ok) EXPECT[name]?.(outcome.value, transport);
      }
    }
    for (const name of CALL_NAMES) {
      const { rest, ipc, engine: viaEngine } = outcomes.get(name)!;
      // The same outcome on every transport: a value, or the same error (system-proxy backends may be absent).
      expect([ipc?.ok, viaEngine?.ok], name).toEqual([rest!.ok, rest!.ok]);
      if (!rest!.ok) {
        expect([ipc, viaEngine], name).toEqual([rest, rest]);
        expect(['not_supported', 'internal', 'forbidden'], `${name}: ${JSON.stringify(rest)}`).toContain(rest!.code);
        continue;
      }
      if (!VOLATILE.has(name)) {
        // What the store has not yet written (savedAt, pendingBytes) depends on when its flush ran, not on the transport.
        const timing = new Set(['savedAt', 'pendingBytes']);
        const normal = (o: Outcome | undefined) => JSON.parse(JSON.stringify((o as { value: unknown }).value, (k, v) => (timing.has(k) ? undefined : v instanceof Uint8Array ? [...v] : v)));
        expect(normal(ipc), name).toEqual(normal(rest));
        expect(normal(viaEngine), name).toEqual(normal(rest));
      }
    }
    // Machine-independent rows must have answered with a value.
    for (const name of CALL_NAMES.filter((n) => !n.startsWith('systemProxy') && !n.startsWith('trust'))) {
      expect(outcomes.get(name)!.rest, name).toMatchObject({ ok: true });
    }
  });

  it('streams a session through a REST WebSocket, the IPC bridge and the engine-process protocol', async () => {
    const { session } = await engine.recorder.startSession({ name: 'streamed', targetUrl: upstream.url });
    const got: Record<Transport, StreamMessage[]> = { rest: [], ipc: [], engine: [] };
    const socket = new WebSocket(`${api.url.replace('http', 'ws')}/api/v1/recorder/${session.id}/ws?batch=1`, [WS_TOKEN_PROTOCOL_PREFIX + TOKEN]);
    socket.on('message', (data) => {
      // ws hands a text frame over as one Buffer (binaryType nodebuffer).
      const frame = JSON.parse((data as Buffer).toString()) as { type: string; messages?: StreamMessage[] };
      got.rest.push(...(frame.type === 'batch' ? frame.messages! : [frame as StreamMessage]));
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    let open = false;
    const offIpc = clients.ipc.subscribe(session.id, (m) => got.ipc.push(...m), { onState: (s) => (open ||= s === 'open') });
    const offEngine = await clients.engine.subscribe({ id: session.id, batch: true, pending: false }, (m) => got.engine.push(...m));
    await expect.poll(() => open).toBe(true);

    await (await fetch(`${session.proxyUrl}/streamed`)).arrayBuffer();
    const entryUrls = (messages: StreamMessage[]) => messages.flatMap((m) => (m.type === 'entry' && 'request' in m.entry ? [new URL(m.entry.request.url).pathname] : []));
    for (const t of ['rest', 'ipc', 'engine'] as const) await expect.poll(() => entryUrls(got[t]), { message: t }).toEqual(['/streamed']);
    socket.close();
    offIpc();
    offEngine();
  });

  it('refuses the same bad input with the same field on REST and IPC, before the engine', async () => {
    const bad: Array<[CallName, unknown, string]> = [
      ['startSession', { mode: 'reverse' }, 'targetUrl'],
      ['startSession', { targetUrl: 'http://127.0.0.1:1', bogus: 1 }, 'bogus'],
      ['portCheck', { port: 70000 }, 'port'],
      ['listEntries', { id: shared.id, limit: 5000 }, 'limit'],
      ['listEntries', { id: shared.id, bodies: 'yes' }, 'bodies'],
      ['searchEntries', { id: shared.id, limit: 0 }, 'limit'],
      ['patchEntry', { id: shared.id, entryId: shared.entry.id, tags: [''] }, 'tags.0'],
      ['readEntryBody', { id: shared.id, entryId: shared.entry.id, which: 'both' }, 'which'],
      ['trustInstall', { scope: 'everyone' }, 'scope'],
      ['systemProxyOn', { dryRun: true }, 'sessionId'],
      ['openBrowser', { id: shared.id, url: 'ftp://x' }, 'url'],
      ['restartSession', { id: shared.id, keepPort: 'yes' }, 'keepPort'],
      ['updateToxics', { id: shared.id, toxics: { http: { errorRate: 2 } } }, 'toxics.http.errorRate'],
      ['startSession', { targetUrl: 'http://127.0.0.1:1', toxics: { http: { delayMs: -1 } } }, 'toxics.http.delayMs'],
      ['updateModifications', { id: shared.id, modifications: { urlRewrites: [{ match: '(', replace: '' }] } }, 'modifications.urlRewrites.0.match'],
      ['saveConfig', { mode: 'forward' }, 'name'],
      ['importConfig', { mode: 'reverse' }, 'targetUrl'],
      ['getConfig', { configId: '' }, 'configId'],
    ];
    for (const [name, input, field] of bad) {
      for (const transport of ['rest', 'ipc'] as const) {
        expect(await through(transport, name, input), `${transport} ${name} ${JSON.stringify(input)}`).toMatchObject({ ok: false, code: 'bad_request', field });
      }
    }
  });
});
