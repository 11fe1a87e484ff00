/** The IPC adapter against a real Recorder over a real SqlJsStore in a temp dir, through fake ipcMain/ipcRenderer. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPERATION_NAMES } from '../../src-shared/contract.js';
import { IPC_CHANNELS, STREAM_CHANNEL, isBridgeError, type DesktopBridge, type IpcResult } from '../../src-shared/desktop-bridge.js';
import type { StreamMessage } from '../../src-shared/model.js';
import { buildBridge } from '../../src-preload/bridge.js';
import { CertificateAuthority } from '../engine/ca/index.js';
import { MachineServices } from '../engine/machine/machine-services.js';
import { startEngine, waitForEntries, type TestEngine } from '../test-support/engine.js';
import { startUpstream, type Upstream } from '../test-support/upstream.js';
import { engineOperations } from '../engine/engine-operations.js';
import { bindIpcHandlers, type IpcBinding } from './ipc-handlers.js';
import { createSenderCheck } from './sender-check.js';
import { APP_FRAME, FakeIpcMain, FakeIpcRenderer, FakeSender, fakeEvent } from './test-support/ipc-fakes.js';

let engine: TestEngine;
let upstream: Upstream;
let ipcMain: FakeIpcMain;
let binding: IpcBinding;
let mutations: number;
const OWN_WEB_CONTENTS = 7;

beforeEach(async () => {
  engine = await startEngine();
  upstream = await startUpstream();
  ipcMain = new FakeIpcMain();
  mutations = 0;
  binding = bindIpcHandlers({
    ipcMain: ipcMain,
    engine: engineOperations(engine.recorder, new MachineServices(engine.dataDir, engine.recorder, () => CertificateAuthority.loadOrCreate(engine.dataDir))),
    isTrustedSender: createSenderCheck((id) => id === OWN_WEB_CONTENTS),
    onMutation: () => mutations++,
  });
});

afterEach(async () => {
  binding.dispose();
  await engine.close();
  await upstream.close();
});

async function call(channel: string, arg?: unknown, sender = new FakeSender(OWN_WEB_CONTENTS), frame = APP_FRAME): Promise<IpcResult<any>> {
  const handler = ipcMain.handlers.get(channel);
  if (!handler) throw new Error(`no handler for ${channel}`);
  const args = arg === undefined ? [] : [arg];
  return structuredClone(await handler(fakeEvent(sender, frame), ...args)) as IpcResult<any>;
}

function bridgeFor(sender = new FakeSender(OWN_WEB_CONTENTS)): DesktopBridge & { renderer: FakeIpcRenderer } {
  const renderer = new FakeIpcRenderer(ipcMain, sender);
  return Object.assign(Object.create(buildBridge(renderer as never)) as DesktopBridge, { renderer });
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('channel table', () => {
  it('registers exactly one handler per operation of the table, plus the end of a stream subscription', () => {
    const operations = OPERATION_NAMES;
    const expected = [...operations.map((op) => `recorder:${op}`), 'recorder:unsubscribe'];
    expect([...ipcMain.registrations].sort()).toEqual([...expected].sort());
    expect(new Set(ipcMain.registrations).size).toBe(ipcMain.registrations.length);
    for (const op of operations) expect(IPC_CHANNELS[op as keyof typeof IPC_CHANNELS]).toBe(`recorder:${op}`);
    expect(new Set(Object.values(IPC_CHANNELS)).size).toBe(Object.keys(IPC_CHANNELS).length);
  });

  it('removes every handler on dispose', () => {
    binding.dispose();
    expect(ipcMain.handlers.size).toBe(0);
  });
});

describe('sender checks', () => {
  it('refuses a window we did not create, an iframe, a foreign URL and a vanished frame, without touching the engine', async () => {
    const input = { targetUrl: upstream.url };
    const cases: Array<[FakeSender, typeof APP_FRAME | null]> = [
      [new FakeSender(99), APP_FRAME],
      [new FakeSender(OWN_WEB_CONTENTS), { url: APP_FRAME.url, parent: { url: APP_FRAME.url } }],
      [new FakeSender(OWN_WEB_CONTENTS), { url: 'https://evil.example/ui/recorder/index.html', parent: null }],
      [new FakeSender(OWN_WEB_CONTENTS), { url: 'file:///ui/recorder/index.html', parent: null }],
      [new FakeSender(OWN_WEB_CONTENTS), null],
    ];
    for (const [sender, frame] of cases) {
      const result = await call(IPC_CHANNELS.startSession, input, sender, frame as never);
      expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect((await engine.recorder.listSessions()).total).toBe(0);
    expect(mutations).toBe(0);
  });
});

describe('input validation with the shared schemas', () => {
  it.each([
    ['startSession', { mode: 'reverse' }, 'targetUrl'],
    ['startSession', { targetUrl: 'ftp://x' }, 'targetUrl'],
    ['startSession', { targetUrl: 'http://127.0.0.1:1', bogus: 1 }, 'bogus'],
    ['getSession', { id: 42 }, 'id'],
    ['getSession', { id: 'a', extra: true }, 'extra'],
    ['listEntries', { id: 'a', limit: 5000 }, 'limit'],
    ['listEntries', { id: 'a', bodies: 'yes' }, 'bodies'],
    ['patchEntry', { id: 'a', entryId: 'b', tags: [''] }, 'tags.0'],
    ['portCheck', { port: 70000 }, 'port'],
    ['portCheck', {}, 'port'],
    ['readEntryBody', { id: 'a', entryId: 'b', which: 'both' }, 'which'],
    ['searchEntries', { id: 'a', q: 5 }, 'q'],
  ])('%s(%j) is a bad_request naming %s', async (op, input, field) => {
    const result = await call(IPC_CHANNELS[op as keyof typeof IPC_CHANNELS], input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('bad_request');
    expect(result.error.field).toBe(field);
    expect(result.error.error).toContain(field.split('.')[0]);
  });

  it('refuses parameters that are not an object, and parameters for operations that take none', async () => {
    expect(await call(IPC_CHANNELS.getSession, 'id')).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await call(IPC_CHANNELS.listSessions, { x: 1 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });
});

describe('results and engine errors as values', () => {
  it('answers { ok: true, value } and reports mutations', async () => {
    const started = await call(IPC_CHANNELS.startSession, { name: 'ipc', targetUrl: upstream.url });
    expect(started).toMatchObject({ ok: true, value: { session: { name: 'ipc', status: 'running' } } });
    expect(mutations).toBe(1);
    const list = await call(IPC_CHANNELS.listSessions);
    expect(list).toMatchObject({ ok: true, value: { total: 1 } });
    const ports = await call(IPC_CHANNELS.ports);
    expect(ports).toMatchObject({ ok: true, value: { used: 1 } });
  });

  it('carries an ApiError code from the engine', async () => {
    expect(await call(IPC_CHANNELS.getSession, { id: 'missing' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const { value } = (await call(IPC_CHANNELS.startSession, { targetUrl: upstream.url })) as { value: { session: { id: string } } };
    const again = await call(IPC_CHANNELS.restartSession, { id: value.session.id });
    expect(again).toMatchObject({ ok: false, error: { code: 'conflict' } });
  });
});

describe('the preload bridge over IPC, end to end', () => {
  it('records, lists, reads bodies, searches, annotates, reports storage and streams through window.trafficRecorder', async () => {
    const bridge = bridgeFor();
    const { session } = await bridge.startSession({ name: 'bridge', targetUrl: upstream.url });
    const batches: StreamMessage[][] = [];
    const states: string[] = [];
    const unsubscribe = bridge.subscribe(session.id, (messages) => batches.push(messages), { onState: (s) => states.push(s) });
    await expect.poll(() => states).toContain('open');

    const res = await fetch(`${session.proxyUrl}/hello?via=ipc`, { method: 'POST', body: 'ping-body' });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    await waitForEntries(engine.recorder, session.id, 1);
    await expect.poll(() => batches.flat().filter((m) => m.type === 'entry').length).toBe(1);

    const page = await bridge.listEntries({ id: session.id, limit: 10, bodies: false });
    expect(page.total).toBe(1);
    const entryId = page.entries[0]!.id;
    const body = await bridge.readEntryBody({ id: session.id, entryId, which: 'request' });
    expect(body.bytes).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(body.bytes)).toBe('ping-body');
    expect(await bridge.searchEntries({ id: session.id, q: 'PING-BODY' })).toEqual({ ids: [entryId] });
    const { entry } = await bridge.patchEntry({ id: session.id, entryId, tags: ['x'], notes: 'seen' });
    expect(entry).toMatchObject({ tags: ['x'], notes: 'seen' });
    await expect.poll(() => batches.flat().some((m) => m.type === 'entry-updated')).toBe(true);
    // The store's usage reaches the desktop window too (Settings → Storage).
    const { storage } = await bridge.storage();
    expect(storage).toMatchObject({ state: 'ok', usage: { entries: 1, sessions: [{ sessionId: session.id, entries: 1 }] } });
    expect(storage.usage.bytes).toBeGreaterThan(0);

    unsubscribe();
    await expect.poll(() => bridge.renderer.invoked).toContain(IPC_CHANNELS.unsubscribe);
    const before = batches.length;
    const again = await fetch(`${session.proxyUrl}/after`);
    await again.arrayBuffer();
    await waitForEntries(engine.recorder, session.id, 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(batches.length).toBe(before);

    await bridge.stopSession({ id: session.id });
    expect((await bridge.getSession({ id: session.id })).session.status).toBe('stopped');
  });

  it('rejects with a plain { code, message, field } object that survives contextBridge', async () => {
    const bridge = bridgeFor();
    const missing = await rejectionOf(bridge.getSession({ id: 'nope' }));
    expect(isBridgeError(missing)).toBe(true);
    expect(missing).toMatchObject({ name: 'RecorderBridgeError', code: 'not_found' });
    expect(missing).not.toBeInstanceOf(Error);
    const bad = await rejectionOf(bridge.startSession({ mode: 'reverse' }));
    expect(bad).toMatchObject({ code: 'bad_request', field: 'targetUrl' });
    expect(structuredClone(bad)).toEqual(bad);
  });

  it('an untrusted window gets forbidden through the bridge too, and its subscription reports closed', async () => {
    const bridge = bridgeFor(new FakeSender(1234));
    expect(await rejectionOf(bridge.listSessions())).toMatchObject({ code: 'forbidden' });
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    const states: Array<[string, string | undefined]> = [];
    bridge.subscribe(session.id, () => undefined, { onState: (s, d) => states.push([s, d]) });
    await expect.poll(() => states.map(([s]) => s)).toEqual(['connecting', 'closed']);
  });

  it('stops pushing to a window that reloaded or closed, and tells renderers when streams end', async () => {
    const sender = new FakeSender(OWN_WEB_CONTENTS);
    const bridge = bridgeFor(sender);
    const { session } = await bridge.startSession({ targetUrl: upstream.url });
    const states: string[] = [];
    bridge.subscribe(session.id, () => undefined, { onState: (s) => states.push(s) });
    await expect.poll(() => states).toContain('open');
    binding.closeAllStreams('engine restarted');
    expect(states.at(-1)).toBe('closed');
    expect(sender.sent.at(-1)).toEqual({ channel: STREAM_CHANNEL, payload: { sessionId: session.id, closed: 'engine restarted' } });

    const reopened: string[] = [];
    bridge.subscribe(session.id, () => undefined, { onState: (s) => reopened.push(s) });
    await expect.poll(() => reopened).toContain('open');
    sender.destroy();
    const sentBefore = sender.sent.length;
    const res = await fetch(`${session.proxyUrl}/gone`);
    await res.arrayBuffer();
    await waitForEntries(engine.recorder, session.id, 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(sender.sent.length).toBe(sentBefore);
  });
});
