/**
 * The machine operations over IPC (CA, trust store, system proxy, setup, open browser): one channel and handler
 * each, the sender check before anything runs, the REST schemas on the inputs, and real answers from a real
 * MachineServices through the preload bridge. Nothing here changes the machine: trust and proxy calls are dry runs
 * or refusals.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IPC_CHANNELS, type DesktopBridge, type IpcResult } from '../../src-shared/desktop-bridge.js';
import { buildBridge } from '../../src-preload/bridge.js';
import { CertificateAuthority } from '../engine/ca/index.js';
import { MachineServices } from '../engine/machine/machine-services.js';
import { startEngine, type TestEngine } from '../test-support/engine.js';
import { startUpstream, type Upstream } from '../test-support/upstream.js';
import { engineOperations } from '../engine/engine-operations.js';
import { ENGINE_CALLS } from './engine-protocol.js';
import { bindIpcHandlers, type IpcBinding } from './ipc-handlers.js';
import { createSenderCheck } from './sender-check.js';
import { APP_FRAME, FakeIpcMain, FakeIpcRenderer, FakeSender, fakeEvent } from './test-support/ipc-fakes.js';

/** The operations of the table that act on the machine rather than on sessions. */
const MACHINE_OPERATIONS = [
  'caStatus', 'caGenerate', 'caDownload', 'trustStatus', 'trustInstall', 'trustUninstall',
  'systemProxyStatus', 'systemProxyOn', 'systemProxyOff', 'sessionSetup', 'openBrowser',
] as const;
type MachineOperationName = (typeof MACHINE_OPERATIONS)[number];

const OWN = 7;
let engine: TestEngine;
let upstream: Upstream;
let ipcMain: FakeIpcMain;
let binding: IpcBinding;
let mutations: number;
/** Machine calls that reached the engine. */
let reached: string[];

beforeEach(async () => {
  engine = await startEngine();
  upstream = await startUpstream();
  ipcMain = new FakeIpcMain();
  mutations = 0;
  reached = [];
  let ca: Promise<CertificateAuthority> | undefined;
  const machine = new MachineServices(engine.dataDir, engine.recorder, () => (ca ??= CertificateAuthority.loadOrCreate(engine.dataDir)));
  const real = engineOperations(engine.recorder, machine);
  const spied = new Proxy(real, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function' || !(MACHINE_OPERATIONS as readonly string[]).includes(String(name))) return value;
      return (...args: unknown[]) => {
        reached.push(String(name));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  binding = bindIpcHandlers({
    ipcMain: ipcMain,
    engine: spied,
    isTrustedSender: createSenderCheck((id) => id === OWN),
    onMutation: () => mutations++,
  });
});

afterEach(async () => {
  binding.dispose();
  await engine.close();
  await upstream.close();
});

async function call(op: MachineOperationName, arg?: unknown, sender = new FakeSender(OWN), frame: unknown = APP_FRAME): Promise<IpcResult<any>> {
  const handler = ipcMain.handlers.get(IPC_CHANNELS[op]);
  if (!handler) throw new Error(`no handler for ${op}`);
  return structuredClone(await handler(fakeEvent(sender, frame as never), ...(arg === undefined ? [] : [arg]))) as IpcResult<any>;
}

function bridge(): DesktopBridge {
  return buildBridge(new FakeIpcRenderer(ipcMain, new FakeSender(OWN)) as never);
}

describe('machine channels', () => {
  it('each machine operation has exactly one channel, one handler and an engine-process allow-list entry', () => {
    for (const op of MACHINE_OPERATIONS) {
      expect(IPC_CHANNELS[op]).toBe(`recorder:${op}`);
      expect(ipcMain.registrations.filter((c) => c === IPC_CHANNELS[op])).toHaveLength(1);
      expect(ENGINE_CALLS.has(op)).toBe(true);
    }
  });

  it('refuses every machine call from a foreign window, an iframe or a foreign URL before it reaches the engine', async () => {
    const args: Record<MachineOperationName, unknown> = {
      caStatus: undefined,
      caGenerate: undefined,
      caDownload: undefined,
      trustStatus: undefined,
      trustInstall: { dryRun: true },
      trustUninstall: { dryRun: true },
      systemProxyStatus: undefined,
      systemProxyOn: { sessionId: 'x', dryRun: true },
      systemProxyOff: { dryRun: true },
      sessionSetup: { id: 'x' },
      openBrowser: { id: 'x' },
    };
    const strangers: Array<[FakeSender, unknown]> = [
      [new FakeSender(99), APP_FRAME],
      [new FakeSender(OWN), { url: APP_FRAME.url, parent: { url: APP_FRAME.url } }],
      [new FakeSender(OWN), { url: 'https://evil.example/ui/recorder/index.html', parent: null }],
      [new FakeSender(OWN), null],
    ];
    for (const op of MACHINE_OPERATIONS) {
      for (const [sender, frame] of strangers) {
        expect(await call(op, args[op], sender, frame)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      }
    }
    expect(reached).toEqual([]);
    expect(mutations).toBe(0);
    expect(await CertificateAuthority.statusOf(engine.dataDir)).toEqual({ exists: false });
  });

  it.each([
    ['trustInstall', { scope: 'everyone' }, 'scope'],
    ['trustInstall', { dryRun: 'yes' }, 'dryRun'],
    ['trustInstall', { nssDbs: ['relative/dir'] }, 'nssDbs.0'],
    ['trustUninstall', { bogus: 1 }, 'bogus'],
    ['systemProxyOn', {}, 'sessionId'],
    ['systemProxyOn', { sessionId: 's', bypass: 'localhost' }, 'bypass'],
    ['systemProxyOn', { sessionId: 's', dryRun: 1 }, 'dryRun'],
    ['systemProxyOff', { dryRun: 'no' }, 'dryRun'],
    ['sessionSetup', {}, 'id'],
    ['sessionSetup', { id: 'a', extra: 1 }, 'extra'],
    ['openBrowser', { url: 'http://example.com/' }, 'id'],
    ['openBrowser', { id: 'a', url: 'javascript:alert(1)' }, 'url'],
    ['openBrowser', { id: 'a', headless: 'yes' }, 'headless'],
  ] as Array<[MachineOperationName, unknown, string]>)('%s(%j) is a bad_request naming %s, refused in main', async (op, input, field) => {
    const result = await call(op, input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code: 'bad_request', field });
    expect(result.error.error).toContain(field.split('.')[0]);
    expect(reached).toEqual([]);
  });

  it('refuses parameters for parameterless machine operations and non-object parameters', async () => {
    for (const op of ['caStatus', 'caGenerate', 'caDownload', 'trustStatus', 'systemProxyStatus'] as const) {
      expect(await call(op, { x: 1 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    }
    expect(await call('trustInstall', 'user')).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await call('systemProxyOn', undefined)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(reached).toEqual([]);
  });
});

describe('machine operations through window.trafficRecorder', () => {
  it('generates the CA once, downloads its PEM without the key, and gives a session its setup', async () => {
    const api = bridge();
    expect(await api.caStatus()).toEqual({ exists: false });
    await expect(api.caDownload()).rejects.toMatchObject({ name: 'RecorderBridgeError', code: 'not_found' });
    const first = await api.caGenerate();
    expect(first).toMatchObject({ created: true, ca: { exists: true, keyAlgorithm: 'ECDSA P-256' } });
    expect(first.ca.sha256).toMatch(/^[0-9A-F]{64}$/);
    expect(mutations).toBe(1);
    expect((await api.caGenerate()).created).toBe(false);
    const file = await api.caDownload();
    expect(file).toMatchObject({ contentType: 'application/x-pem-file', fileName: 'traffic-recorder-ca.pem' });
    const pem = new TextDecoder().decode(file.bytes);
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(pem).not.toMatch(/PRIVATE KEY/);
    expect(await api.caStatus()).toMatchObject({ exists: true, sha256: first.ca.sha256 });

    const { session } = await api.startSession({ mode: 'forward', mitm: { enabled: true } });
    const setup = await api.sessionSetup({ id: session.id });
    expect(setup.caGenerated).toBe(true);
    expect(setup.environment).toMatchObject({ HTTPS_PROXY: session.proxyUrl, NODE_EXTRA_CA_CERTS: first.ca.certPath });
    expect(setup.scripts.posix).toContain('export NODE_EXTRA_CA_CERTS=');
    expect(setup.scripts.powershell).toContain('$env:HTTPS_PROXY');
    expect(setup.scripts.cmd).toContain('set "HTTPS_PROXY=');
    await expect(api.sessionSetup({ id: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('plans a trust-store install as a dry run with the exact commands, and refuses the system proxy for a reverse session', async () => {
    const api = bridge();
    await expect(api.trustInstall({ dryRun: true })).rejects.toMatchObject({ code: 'not_found' });
    await api.caGenerate();
    const plan = await api.trustInstall({ dryRun: true, scope: 'user', nssDbs: ['/nonexistent/nssdb'] });
    expect(plan).toMatchObject({ op: 'install', dryRun: true });
    expect(plan.status).toBeUndefined();
    for (const step of plan.steps) expect(step.display.length).toBeGreaterThan(0);

    const { session } = await api.startSession({ targetUrl: upstream.url });
    await expect(api.systemProxyOn({ sessionId: session.id, dryRun: true })).rejects.toMatchObject({ code: 'bad_request', field: 'sessionId' });
    await expect(api.openBrowser({ id: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
  });
});
