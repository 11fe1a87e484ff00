/** The engine utility-process link over a worker_threads MessageChannel: a real engine on one end, the client on the other. */
import fs from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MachineServices } from '../engine/machine/machine-services.js';
import { ApiError } from '../../src-shared/errors.js';
import type { StreamMessage } from '../../src-shared/model.js';
import { tempDir } from '../test-support/engine.js';
import { startUpstream, type Upstream } from '../test-support/upstream.js';
import { EngineClient } from './engine-client.js';
import { UtilityEngineHost, type ChildLike } from './engine-host.js';
import { runEngine, type EngineRuntime } from './engine-runtime.js';
import { portOf } from './test-support/message-port.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function link(): Promise<{ client: EngineClient; runtime: EngineRuntime; dataDir: string; upstream: Upstream }> {
  const dataDir = await tempDir('tr-desktop-');
  const upstream = await startUpstream();
  const { port1, port2 } = new MessageChannel();
  const client = new EngineClient(portOf(port1));
  const runtime = await runEngine(portOf(port2), { dataDir, sweepIntervalMs: 0, streamIntervalMs: 10 });
  cleanups.push(async () => {
    await runtime.close();
    port1.close();
    await upstream.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });
  return { client, runtime, dataDir, upstream };
}

describe('EngineClient ↔ engine runtime', () => {
  it('answers calls, keeps ApiError codes and fields, streams batches, and flushes on shutdown', async () => {
    const { client, upstream, dataDir } = await link();
    await client.ready;
    const { session } = await client.startSession({ name: 'utility', targetUrl: upstream.url });
    expect(session.status).toBe('running');

    const missing = await client.getSession({ id: 'nope' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect(missing).toMatchObject({ code: 'not_found' });
    // Inputs were validated at the IPC boundary; what the engine itself refuses keeps its code and field.
    const refused = await client.startSession({ targetUrl: upstream.url, listenPort: 1 }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'bad_request', field: 'listenPort' });

    const batches: StreamMessage[][] = [];
    const unsubscribe = await client.subscribe({ id: session.id, batch: true, pending: false }, (m) => batches.push(m));
    const res = await fetch(`${session.proxyUrl}/through-utility`, { method: 'POST', body: 'abc' });
    await res.arrayBuffer();
    await expect.poll(() => batches.flat().filter((m) => m.type === 'entry').length).toBe(1);
    const { entries } = await client.listEntries({ id: session.id, offset: 0, limit: 100, bodies: false });
    const body = await client.readEntryBody({ id: session.id, entryId: entries[0]!.id, which: 'request', decoded: false, inline: false });
    expect(new TextDecoder().decode(body.bytes)).toBe('abc');
    expect(await client.searchEntries({ id: session.id, q: 'through-utility', limit: 10 })).toEqual({ ids: [entries[0]!.id] });
    unsubscribe();
    await expect(client.subscribe({ id: 'nope', batch: true, pending: false }, () => undefined)).rejects.toMatchObject({ code: 'not_found' });

    await client.shutdown();
    // Shutdown stopped the session and persisted the store: a fresh engine on the same folder sees it stopped.
    const { port1, port2 } = new MessageChannel();
    const reopened = await runEngine(portOf(port2), { dataDir, sweepIntervalMs: 0 });
    const second = new EngineClient(portOf(port1));
    cleanups.push(async () => {
      await reopened.close();
      port1.close();
    });
    await second.ready;
    const again = await second.getSession({ id: session.id });
    expect(again.session).toMatchObject({ status: 'stopped', entryCount: 1 });
  });

  it('fails pending and later calls once the process is gone', async () => {
    const { port1 } = new MessageChannel();
    const client = new EngineClient(portOf(port1));
    cleanups.push(() => port1.close());
    const pending = client.listSessions();
    client.fail(new ApiError('internal', 'the engine process exited (code 9)'));
    await expect(pending).rejects.toMatchObject({ code: 'internal', message: expect.stringContaining('code 9') });
    await expect(client.ports()).rejects.toMatchObject({ code: 'internal' });
  });

  it('runs the machine operations in the engine process, with the CA the recorder uses, and restores the system proxy at start and at shutdown', async () => {
    const recover = vi.spyOn(MachineServices.prototype, 'recoverSystemProxy');
    cleanups.push(() => recover.mockRestore());
    const { client } = await link();
    await client.ready;
    expect(recover).toHaveBeenCalledTimes(1);
    expect(await client.caStatus()).toEqual({ exists: false });
    const { ca } = await client.caGenerate();
    expect(new TextDecoder().decode((await client.caDownload()).bytes)).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const { session } = await client.startSession({ mode: 'forward', mitm: { enabled: true } });
    const setup = await client.sessionSetup({ id: session.id });
    expect(setup.environment.NODE_EXTRA_CA_CERTS).toBe(ca.certPath);
    const plan = await client.trustInstall({ dryRun: true, scope: 'user', nssDbs: ['/nonexistent/nssdb'] });
    expect(plan).toMatchObject({ op: 'install', dryRun: true });
    await expect(client.systemProxyOn({ sessionId: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
    await client.shutdown();
    expect(recover).toHaveBeenCalledTimes(2);
  });

  it('refuses calls outside the allow-list', async () => {
    const dataDir = await tempDir('tr-desktop-');
    const { port1, port2 } = new MessageChannel();
    const runtime = await runEngine(portOf(port2), { dataDir, sweepIntervalMs: 0 });
    cleanups.push(async () => {
      await runtime.close();
      port1.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    });
    const reply = new Promise((resolve) => port1.on('message', (m: { kind: string }) => m.kind === 'reply' && resolve(m)));
    port1.postMessage({ kind: 'call', id: 1, method: 'close', args: [] });
    expect(await reply).toMatchObject({ result: { ok: false, error: { code: 'bad_request' } } });
  });
});

/** A stand-in for a UtilityProcess: the engine runs in this process behind a MessageChannel. */
class FakeChild extends EventEmitter implements ChildLike {
  private readonly ports = new MessageChannel();
  runtime: Promise<EngineRuntime>;
  killed = false;

  constructor(dataDir: string) {
    super();
    this.ports.port1.on('message', (m) => this.emit('message', m));
    this.runtime = runEngine(portOf(this.ports.port2), { dataDir, sweepIntervalMs: 0 });
  }

  postMessage(message: unknown): void {
    this.ports.port1.postMessage(message);
  }

  kill(): boolean {
    if (this.killed) return false;
    this.killed = true;
    void this.exit(0);
    return true;
  }

  /** Simulate the process ending (a crash when code ≠ 0). */
  async exit(code: number): Promise<void> {
    await (await this.runtime).close().catch(() => undefined);
    this.ports.port1.close();
    this.emit('exit', code);
  }
}

describe('UtilityEngineHost', () => {
  it('restarts a crashed engine process, ends streams, and shuts the new one down gracefully', async () => {
    const dataDir = await tempDir('tr-desktop-');
    cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }));
    const children: FakeChild[] = [];
    const restarts: string[] = [];
    const host = new UtilityEngineHost({
      fork: () => {
        const child = new FakeChild(dataDir);
        children.push(child);
        return child;
      },
      onRestart: (reason) => restarts.push(reason),
    });
    cleanups.push(() => host.stop());
    await host.start();
    const first = host.current();
    await first.listSessions();

    await children[0]!.exit(134);
    await expect.poll(() => restarts.length).toBe(1);
    expect(restarts[0]).toContain('code 134');
    expect(host.current()).not.toBe(first);
    await expect(first.listSessions()).rejects.toMatchObject({ code: 'internal' });
    expect(await host.current().listSessions()).toMatchObject({ total: 0 });

    await host.stop();
    expect(children[1]!.killed).toBe(true);
    expect(children).toHaveLength(2);
  });

  it('gives up after repeated crashes and says so', async () => {
    const dataDir = await tempDir('tr-desktop-');
    cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }));
    const children: FakeChild[] = [];
    const gaveUp: string[] = [];
    const host = new UtilityEngineHost({
      fork: () => {
        const child = new FakeChild(dataDir);
        children.push(child);
        return child;
      },
      maxRestarts: 1,
      onGiveUp: (reason) => gaveUp.push(reason),
    });
    await host.start();
    await children[0]!.exit(1);
    await expect.poll(() => children.length).toBe(2);
    await (await children[1]!.runtime).recorder.listSessions();
    await children[1]!.exit(1);
    await expect.poll(() => gaveUp.length).toBe(1);
    expect(() => host.current()).toThrow(/stays down/);
    await host.stop();
  });
});
