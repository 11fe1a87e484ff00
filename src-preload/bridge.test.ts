/** The preload bridge against a recording fake ipcRenderer, and the bundled preload as a sandbox would load it. */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { CALL_NAMES, OPERATION_NAMES } from '../src-shared/contract.js';
import { BRIDGE_KEY, BRIDGE_METHODS, IPC_CHANNELS, STREAM_CHANNEL, type IpcResult } from '../src-shared/desktop-bridge.js';
import { buildBridge } from './bridge.js';

class RecordingIpc {
  readonly calls: Array<{ channel: string; args: unknown[] }> = [];
  readonly listeners = new Map<string, (event: unknown, payload: unknown) => void>();
  answer: (channel: string, args: unknown[]) => IpcResult<unknown> = (channel) => ({ ok: true, value: { channel } });

  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.calls.push({ channel, args });
    // Like Electron's: an answer that throws is a rejection.
    return new Promise((resolve) => resolve(this.answer(channel, args)));
  }

  on(channel: string, listener: (event: unknown, payload: unknown) => void): this {
    this.listeners.set(channel, listener);
    return this;
  }

  push(payload: unknown): void {
    this.listeners.get(STREAM_CHANNEL)?.({}, payload);
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('buildBridge', () => {
  it('exposes exactly the operations of the table (the stream as subscribe), all functions, nothing generic', () => {
    const bridge = buildBridge(new RecordingIpc() as never);
    const expected = [...OPERATION_NAMES].sort();
    expect(Object.keys(bridge).sort()).toEqual(expected);
    expect([...BRIDGE_METHODS].sort()).toEqual(expected);
    for (const name of expected) expect(typeof (bridge as unknown as Record<string, unknown>)[name]).toBe('function');
    for (const generic of ['invoke', 'send', 'on', 'ipcRenderer', 'call']) expect(generic in bridge).toBe(false);
    expect(Object.isFrozen(bridge)).toBe(true);
  });

  it('sends each operation on its own channel with its one parameter object (none for parameterless ones)', async () => {
    const ipc = new RecordingIpc();
    const bridge = buildBridge(ipc as never) as unknown as Record<string, (arg?: unknown) => Promise<unknown>>;
    const parameterless = ['listSessions', 'ports', 'caStatus', 'caGenerate', 'caDownload', 'trustStatus', 'systemProxyStatus'];
    for (const op of CALL_NAMES) {
      const arg = parameterless.includes(op) ? undefined : { id: 's1', probe: op };
      await expect(bridge[op]!(arg)).resolves.toEqual({ channel: `recorder:${op}` });
      expect(ipc.calls.at(-1)).toEqual({ channel: `recorder:${op}`, args: arg === undefined ? [] : [arg] });
    }
    await bridge.searchEntries!({ id: 's1', q: 'x' });
    expect(ipc.calls.at(-1)).toEqual({ channel: IPC_CHANNELS.searchEntries, args: [{ id: 's1', q: 'x' }] });
    await bridge.readEntryBody!({ id: 's1', entryId: 'e', which: 'response', decoded: true });
    expect(ipc.calls.at(-1)?.channel).toBe(IPC_CHANNELS.readEntryBody);
  });

  it('turns { ok: false } into a rejection with code and field, and Electron failures into internal', async () => {
    const ipc = new RecordingIpc();
    ipc.answer = () => ({ ok: false, error: { code: 'bad_request', error: 'targetUrl: is required', field: 'targetUrl' } });
    const bridge = buildBridge(ipc as never);
    await expect(bridge.startSession({})).rejects.toEqual({ name: 'RecorderBridgeError', code: 'bad_request', message: 'targetUrl: is required', field: 'targetUrl' });
    ipc.answer = () => {
      throw new Error("No handler registered for 'recorder:ports'");
    };
    await expect(bridge.ports()).rejects.toMatchObject({ code: 'internal' });
  });

  it('delivers stream batches to every callback of the session, and unsubscribes once the last one leaves', async () => {
    const ipc = new RecordingIpc();
    const bridge = buildBridge(ipc as never);
    const a = vi.fn();
    const b = vi.fn();
    const other = vi.fn();
    const stopA = bridge.subscribe('s1', a);
    const stopB = bridge.subscribe('s1', b);
    bridge.subscribe('s2', other);
    await tick();
    expect(ipc.calls.filter((c) => c.channel === IPC_CHANNELS.subscribe).map((c) => c.args)).toEqual([[{ id: 's1' }], [{ id: 's2' }]]);

    const batch = [{ type: 'session', session: { id: 's1' } }];
    ipc.push({ sessionId: 's1', messages: batch });
    expect(a).toHaveBeenCalledWith(batch);
    expect(b).toHaveBeenCalledWith(batch);
    expect(other).not.toHaveBeenCalled();

    stopA();
    stopA();
    ipc.push({ sessionId: 's1', messages: batch });
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(2);
    expect(ipc.calls.some((c) => c.channel === IPC_CHANNELS.unsubscribe)).toBe(false);
    stopB();
    await tick();
    expect(ipc.calls.filter((c) => c.channel === IPC_CHANNELS.unsubscribe).map((c) => c.args)).toEqual([[{ id: 's1' }]]);
    ipc.push({ sessionId: 's1', messages: batch });
    expect(b).toHaveBeenCalledTimes(2);
  });

  it('reports subscription state, and a closed push ends the subscription', async () => {
    const ipc = new RecordingIpc();
    const bridge = buildBridge(ipc as never);
    const states: unknown[] = [];
    const onMessages = vi.fn();
    bridge.subscribe('s1', onMessages, { onState: (...args) => states.push(args) });
    await tick();
    ipc.push({ sessionId: 's1', closed: 'engine restarted' });
    ipc.push({ sessionId: 's1', messages: [] });
    expect(states).toEqual([['connecting'], ['open'], ['closed', 'engine restarted']]);
    expect(onMessages).not.toHaveBeenCalled();
  });
});

describe('the bundled preload (dist/src-preload/preload.cjs)', () => {
  it('is one CommonJS script that requires only electron and exposes the bridge under window.trafficRecorder', async () => {
    const entry = fileURLToPath(new URL('./preload.ts', import.meta.url));
    const out = await build({ entryPoints: [entry], bundle: true, format: 'cjs', platform: 'node', target: 'chrome130', external: ['electron'], write: false, logLevel: 'silent' });
    const code = out.outputFiles[0]!.text;
    expect(code).not.toMatch(/^\s*(import|export)\s/m);
    const required: string[] = [];
    const exposed: Array<[string, unknown]> = [];
    const ipc = new RecordingIpc();
    const fakeRequire = (name: string) => {
      required.push(name);
      if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
      return { contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.push([key, api]) }, ipcRenderer: ipc };
    };
    const module = { exports: {} };
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- runs the bundled preload as CommonJS with our require, as Electron's sandbox does
    new Function('require', 'module', 'exports', code)(fakeRequire, module, module.exports);
    expect(required).toEqual(['electron']);
    expect(exposed).toHaveLength(1);
    expect(exposed[0]![0]).toBe(BRIDGE_KEY);
    expect(Object.keys(exposed[0]![1] as object).sort()).toEqual([...BRIDGE_METHODS].sort());
    expect(ipc.listeners.has(STREAM_CHANNEL)).toBe(true);
  });
});
