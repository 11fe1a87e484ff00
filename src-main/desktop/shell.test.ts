/** Tray, application menu and graceful shutdown, against small fakes. */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { SystemProxyStatusResponse } from '../../src-shared/machine.js';
import type { Session } from '../../src-shared/model.js';
import type { EngineOperations } from '../engine/engine-operations.js';
import { appMenuTemplate } from './menu.js';
import { installGracefulShutdown } from './shutdown.js';
import { TrayController, trayMenuTemplate, trayStateFrom } from './tray.js';

const session = (id: string, status: Session['status'], createdAt: string): Session =>
  ({ id, name: `s-${id}`, status, createdAt }) as Session;

/** A tray controller over a fake tray; `menu()` is the last menu it built. */
function trayWith(engine: () => EngineOperations, images: Record<'idle' | 'recording', unknown> = { idle: 'idle', recording: 'rec' }) {
  const tray = { setImage: vi.fn(), setToolTip: vi.fn(), setContextMenu: vi.fn(), destroy: vi.fn() };
  let lastMenu: any[] = [];
  const controller = new TrayController({
    tray,
    images: images as never,
    buildMenu: (template) => ((lastMenu = template), template) as never,
    engine,
    show: vi.fn(),
    quit: vi.fn(),
    pollMs: 0,
  });
  return { tray, controller, menu: () => lastMenu };
}

describe('tray', () => {
  const actions = { stopSession: vi.fn(), restartSession: vi.fn(), setSystemProxy: vi.fn(), show: vi.fn(), quit: vi.fn() };

  it('offers to stop the most recent session while it runs, to start it again once stopped, plus Show and Quit', () => {
    const running = trayStateFrom([session('a', 'stopped', '2026-01-01T00:00:00Z'), session('b', 'running', '2026-01-02T00:00:00Z')]);
    expect(running).toEqual({ running: 1, last: { id: 'b', name: 's-b', status: 'running' } });
    const menu = trayMenuTemplate(running, actions);
    expect(menu[0]).toMatchObject({ label: 'recording (1 session)', enabled: false });
    const stop = menu.find((i) => i.id === 'stop-last')!;
    expect(stop.label).toBe('Stop "s-b"');
    (stop.click as () => void)();
    expect(actions.stopSession).toHaveBeenCalledWith('b');
    expect(menu.map((i) => i.id).filter(Boolean)).toEqual(['stop-last', 'show', 'quit']);

    const stopped = trayMenuTemplate(trayStateFrom([session('b', 'stopped', '2026-01-02T00:00:00Z')]), actions);
    expect(stopped[0]).toMatchObject({ label: 'not recording' });
    (stopped.find((i) => i.id === 'start-last')!.click as () => void)();
    expect(actions.restartSession).toHaveBeenCalledWith('b');
    (stopped.find((i) => i.id === 'quit')!.click as () => void)();
    expect(actions.quit).toHaveBeenCalled();

    expect(trayMenuTemplate(trayStateFrom([]), actions).map((i) => i.label)).toContain('No sessions yet');
  });

  it('shows whether the CA is trusted and offers the newest running forward session as the system proxy', () => {
    const fwd = (id: string, createdAt: string, status: Session['status'] = 'running') =>
      ({ ...session(id, status, createdAt), mode: 'forward', listenPort: 8090 + Number(id.length) }) as Session;
    const sessions = [fwd('f', '2026-01-01T00:00:00Z'), fwd('ff', '2026-01-02T00:00:00Z'), fwd('fff', '2026-01-03T00:00:00Z', 'stopped')];
    const status: SystemProxyStatusResponse = { backend: 'gnome', current: { enabled: false, bypass: [] }, ours: false, pendingRestore: false };
    const off = trayStateFrom(sessions, { ca: 'untrusted', systemProxy: { status } });
    expect(off.forward).toEqual({ id: 'ff', name: 's-ff', listenPort: 8092 });
    const menu = trayMenuTemplate(off, actions);
    expect(menu.find((i) => i.id === 'ca-trust')).toMatchObject({ label: 'HTTPS CA: not trusted by this machine', enabled: false });
    const item = menu.find((i) => i.id === 'system-proxy')!;
    expect(item).toMatchObject({ type: 'checkbox', checked: false, label: 'Use "s-ff" as system proxy' });
    (item.click as () => void)();
    expect(actions.setSystemProxy).toHaveBeenLastCalledWith('ff', true);

    const on = trayStateFrom(sessions, { ca: 'trusted', systemProxy: { status: { ...status, ours: true, pendingRestore: true, savedProxy: { host: '127.0.0.1', port: 8092 } } } });
    const onMenu = trayMenuTemplate(on, actions);
    expect(onMenu.find((i) => i.id === 'ca-trust')!.label).toBe('HTTPS CA: trusted by this machine');
    const checked = onMenu.find((i) => i.id === 'system-proxy')!;
    expect(checked.checked).toBe(true);
    (checked.click as () => void)();
    expect(actions.setSystemProxy).toHaveBeenLastCalledWith('ff', false);

    const unsupported = trayMenuTemplate(trayStateFrom(sessions, { ca: 'none', systemProxy: { error: 'no desktop proxy backend' } }), actions);
    expect(unsupported.find((i) => i.id === 'system-proxy')).toMatchObject({ enabled: false, label: expect.stringContaining('no desktop proxy backend') });
    expect(unsupported.find((i) => i.id === 'ca-trust')!.label).toBe('HTTPS CA: not generated yet');
  });

  it('reads the machine state through the engine and switches the system proxy with the same operations', async () => {
    let ours = false;
    const engine = {
      listSessions: () => Promise.resolve({ sessions: [{ ...session('f', 'running', '2026-01-01T00:00:00Z'), mode: 'forward', listenPort: 8085 }], total: 1 }),
      caStatus: () => Promise.resolve({ exists: true }),
      trustStatus: () => Promise.resolve({ installed: true, platform: 'linux', targets: [] }),
      systemProxyStatus: () => Promise.resolve({ backend: 'gnome', current: { enabled: ours, bypass: [] }, ours, pendingRestore: ours, ...(ours ? { savedProxy: { host: '127.0.0.1', port: 8085 } } : {}) }),
      systemProxyOn: vi.fn(() => ((ours = true), Promise.resolve({ dryRun: false }))),
      systemProxyOff: vi.fn(() => ((ours = false), Promise.resolve({ restored: true }))),
    } as unknown as EngineOperations;
    const { controller, menu } = trayWith(() => engine);
    await controller.refresh();
    expect(controller.state.machine?.ca).toBe('trusted');
    menu().find((i) => i.id === 'system-proxy').click();
    expect(engine.systemProxyOn).toHaveBeenCalledWith({ sessionId: 'f' });
    await expect.poll(() => menu().find((i) => i.id === 'system-proxy')?.checked).toBe(true);
    menu().find((i) => i.id === 'system-proxy').click();
    expect(engine.systemProxyOff).toHaveBeenCalledWith({});
    await expect.poll(() => menu().find((i) => i.id === 'system-proxy')?.checked).toBe(false);
    controller.dispose();
  });

  it('switches the image with the recording state and acts through the engine', async () => {
    const images = { idle: { name: 'idle' }, recording: { name: 'recording' } };
    let sessions = [session('a', 'running', '2026-01-01T00:00:00Z')];
    const engine = {
      listSessions: () => Promise.resolve({ sessions, total: sessions.length }),
      stopSession: vi.fn(({ id }: { id: string }) => {
        sessions = sessions.map((s) => (s.id === id ? { ...s, status: 'stopped' as const } : s));
        return Promise.resolve({ session: sessions[0]! });
      }),
    } as unknown as EngineOperations;
    const { tray, controller, menu } = trayWith(() => engine, images);
    await controller.refresh();
    expect(tray.setImage).toHaveBeenLastCalledWith(images.recording);
    expect(tray.setToolTip).toHaveBeenLastCalledWith('Traffic Recorder: recording (1 session)');
    menu().find((i) => i.id === 'stop-last').click();
    await expect.poll(() => tray.setImage.mock.calls.at(-1)?.[0]).toBe(images.idle);
    expect(engine.stopSession).toHaveBeenCalledWith({ id: 'a' });
    controller.dispose();
    expect(tray.destroy).toHaveBeenCalled();
  });

  it('shows an engine failure instead of a stale state', async () => {
    const { tray, controller } = trayWith(() => {
      throw new Error('the engine is not running');
    });
    await controller.refresh();
    expect(tray.setToolTip).toHaveBeenLastCalledWith('Traffic Recorder: the engine is not running');
    expect(tray.setImage).toHaveBeenLastCalledWith('idle');
  });
});

describe('application menu', () => {
  it('has the usual roles, with the app menu on macOS only', () => {
    const roles = (platform: NodeJS.Platform) => appMenuTemplate(platform, { showDataFolder: vi.fn() }).map((i) => i.role);
    expect(roles('linux')).toEqual(['fileMenu', 'editMenu', 'viewMenu', 'windowMenu', 'help']);
    expect(roles('darwin')).toEqual(['appMenu', 'fileMenu', 'editMenu', 'viewMenu', 'windowMenu', 'help']);
    const showDataFolder = vi.fn();
    const help = appMenuTemplate('win32', { showDataFolder }).at(-1)!;
    const item = (help.submenu as any[]).find((i) => i.id === 'data-folder');
    item.click();
    expect(showDataFolder).toHaveBeenCalled();
  });
});

describe('graceful shutdown', () => {
  class FakeApp extends EventEmitter {
    quits = 0;
    quitted = false;
    quit() {
      this.quits++;
      const event = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
      this.emit('before-quit', event);
      if (!event.defaultPrevented) this.quitted = true;
    }
  }

  it('holds the first quit until the engine has stopped every session and flushed, once', async () => {
    const app = new FakeApp();
    const proc = new EventEmitter();
    let finish!: () => void;
    const stop = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    installGracefulShutdown({ app: app as never, stop, proc: proc as never });
    app.quit();
    app.quit();
    expect(app.quitted).toBe(false);
    expect(stop).toHaveBeenCalledTimes(1);
    finish();
    await expect.poll(() => app.quitted).toBe(true);
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it('takes SIGTERM and SIGINT down the same road, and still quits when the engine fails to close', async () => {
    for (const signal of ['SIGTERM', 'SIGINT']) {
      const app = new FakeApp();
      const proc = new EventEmitter();
      const stop = vi.fn(() => Promise.reject(new Error('flush failed')));
      const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      installGracefulShutdown({ app: app as never, stop, proc: proc as never });
      proc.emit(signal);
      await expect.poll(() => app.quitted).toBe(true);
      expect(stop).toHaveBeenCalledTimes(1);
      error.mockRestore();
    }
  });
});
