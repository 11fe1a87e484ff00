/**
 * The tray icon: whether anything records (two images), start/stop of the most recent session, whether the CA
 * is trusted, a "Use as system proxy" checkbox for the most recent running forward session, Show and Quit.
 * The menu is plain data built from the session list and the machine state (tested); `TrayController`
 * applies it to a Tray.
 */
import type { MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import type { SystemProxyStatusResponse } from '../../src-shared/machine.js';
import type { Session } from '../../src-shared/model.js';
import type { EngineOperations } from '../engine/engine-operations.js';

/** What the tray knows about the machine: the CA's trust and the OS proxy. Read less often than sessions. */
export interface TrayMachineState {
  /** none: no CA generated yet; unknown: the trust store could not be read. */
  ca: 'none' | 'trusted' | 'untrusted' | 'unknown';
  /** The OS proxy setting, or why it cannot be read/changed here (no desktop proxy backend, say). */
  systemProxy: { status: SystemProxyStatusResponse } | { error: string };
}

export interface TrayState {
  running: number;
  /** The most recently created session, if any. */
  last?: Pick<Session, 'id' | 'name' | 'status'>;
  /** The most recently created running forward session: the one the system-proxy checkbox is about. */
  forward?: Pick<Session, 'id' | 'name' | 'listenPort'>;
  machine?: TrayMachineState;
  /** Set when the engine could not be asked. */
  error?: string;
}

export interface TrayActions {
  stopSession(id: string): void;
  restartSession(id: string): void;
  /** Point the OS proxy at the session (on) or restore the previous setting (off). */
  setSystemProxy(sessionId: string, on: boolean): void;
  show(): void;
  quit(): void;
}

export function trayStateFrom(sessions: Session[], machine?: TrayMachineState): TrayState {
  const newestFirst = [...sessions].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const last = newestFirst[0];
  const running = sessions.filter((s) => s.status === 'running').length;
  const state: TrayState = last ? { running, last: { id: last.id, name: last.name, status: last.status } } : { running };
  const forward = newestFirst.find((s) => s.mode === 'forward' && s.status === 'running');
  if (forward) state.forward = { id: forward.id, name: forward.name, listenPort: forward.listenPort };
  if (machine) state.machine = machine;
  return state;
}

/** Is the OS proxy the one we set, pointing at this session? */
export function systemProxyUses(status: SystemProxyStatusResponse, session: Pick<Session, 'listenPort'>): boolean {
  return status.ours && status.savedProxy?.port === session.listenPort;
}

const CA_LABELS: Record<TrayMachineState['ca'], string> = {
  none: 'HTTPS CA: not generated yet',
  trusted: 'HTTPS CA: trusted by this machine',
  untrusted: 'HTTPS CA: not trusted by this machine',
  unknown: 'HTTPS CA: trust unknown',
};

function machineItems(state: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  const machine = state.machine;
  if (!machine) return [];
  const items: MenuItemConstructorOptions[] = [{ type: 'separator' }, { id: 'ca-trust', label: CA_LABELS[machine.ca], enabled: false }];
  const forward = state.forward;
  if ('error' in machine.systemProxy) {
    items.push({ id: 'system-proxy', type: 'checkbox', label: `Use as system proxy (unavailable: ${machine.systemProxy.error})`, checked: false, enabled: false });
  } else if (!forward) {
    const on = machine.systemProxy.status.ours;
    items.push(
      on
        ? { id: 'system-proxy', type: 'checkbox', label: 'Use as system proxy (restore the previous setting)', checked: true, click: () => actions.setSystemProxy('', false) }
        : { id: 'system-proxy', type: 'checkbox', label: 'Use as system proxy (start a forward session first)', checked: false, enabled: false },
    );
  } else {
    const checked = systemProxyUses(machine.systemProxy.status, forward);
    items.push({
      id: 'system-proxy',
      type: 'checkbox',
      label: `Use "${forward.name}" as system proxy`,
      checked,
      click: () => actions.setSystemProxy(forward.id, !checked),
    });
  }
  return items;
}

export function trayTooltip(state: TrayState): string {
  if (state.error) return `Traffic Recorder: ${state.error}`;
  if (state.running === 0) return 'Traffic Recorder: not recording';
  return `Traffic Recorder: recording (${state.running} session${state.running === 1 ? '' : 's'})`;
}

export function trayMenuTemplate(state: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  const items: MenuItemConstructorOptions[] = [{ label: trayTooltip(state).replace('Traffic Recorder: ', ''), enabled: false }, { type: 'separator' }];
  const last = state.last;
  if (!last) {
    items.push({ label: 'No sessions yet', enabled: false });
  } else if (last.status === 'running') {
    items.push({ id: 'stop-last', label: `Stop "${last.name}"`, click: () => actions.stopSession(last.id) });
  } else {
    items.push({ id: 'start-last', label: `Start "${last.name}" again`, click: () => actions.restartSession(last.id) });
  }
  items.push(
    ...machineItems(state, actions),
    { type: 'separator' },
    { id: 'show', label: 'Show Traffic Recorder', click: () => actions.show() },
    { id: 'quit', label: 'Quit', click: () => actions.quit() },
  );
  return items;
}

export type TrayLike = Pick<Tray, 'setImage' | 'setToolTip' | 'setContextMenu' | 'destroy'>;

export interface TrayControllerOptions {
  tray: TrayLike;
  images: { idle: NativeImage; recording: NativeImage };
  buildMenu: (template: MenuItemConstructorOptions[]) => Parameters<Tray['setContextMenu']>[0];
  engine: () => EngineOperations;
  show(): void;
  quit(): void;
  /** Expiry stops sessions without anyone calling: look again this often (0 = never). */
  pollMs?: number;
  /** The trust store and OS proxy are read by running tools: at most this often, unless something changed them. */
  machinePollMs?: number;
}

/** Read the CA trust and the OS proxy through the engine; failures become states, never throws. */
export async function readTrayMachineState(engine: EngineOperations): Promise<TrayMachineState> {
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
  const ca = await (async (): Promise<TrayMachineState['ca']> => {
    try {
      if (!(await engine.caStatus()).exists) return 'none';
      return (await engine.trustStatus()).installed ? 'trusted' : 'untrusted';
    } catch {
      return 'unknown';
    }
  })();
  let systemProxy: TrayMachineState['systemProxy'];
  try {
    systemProxy = { status: await engine.systemProxyStatus() };
  } catch (e) {
    systemProxy = { error: message(e) };
  }
  return { ca, systemProxy };
}

export class TrayController {
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private machineAgain = false;
  private machine: TrayMachineState | undefined;
  private machineReadAt = 0;
  state: TrayState = { running: 0 };

  constructor(private readonly options: TrayControllerOptions) {
    const pollMs = options.pollMs ?? 5000;
    if (pollMs > 0) {
      this.timer = setInterval(() => void this.refresh(), pollMs);
      this.timer.unref?.();
    }
  }

  /**
   * Re-read the sessions and redraw; concurrent calls coalesce into one more pass. `machine`: re-read the CA
   * trust and the OS proxy now (after something may have changed them), not only when they are stale.
   */
  refresh(machine = false): Promise<void> {
    if (machine) this.machineAgain = true;
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          const engine = this.options.engine();
          const { sessions } = await engine.listSessions();
          const stale = Date.now() - this.machineReadAt >= (this.options.machinePollMs ?? 30_000);
          if (this.machineAgain || stale || !this.machine) {
            this.machineAgain = false;
            this.machine = await readTrayMachineState(engine);
            this.machineReadAt = Date.now();
          }
          this.apply(trayStateFrom(sessions, this.machine));
        } catch (e) {
          this.apply({ running: 0, error: (e as Error).message });
        }
      } while (this.again);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.options.tray.destroy();
  }

  private apply(state: TrayState): void {
    this.state = state;
    const { tray, images } = this.options;
    tray.setImage(state.running > 0 ? images.recording : images.idle);
    tray.setToolTip(trayTooltip(state));
    tray.setContextMenu(this.options.buildMenu(trayMenuTemplate(state, this.actions)));
  }

  private readonly actions: TrayActions = {
    stopSession: (id) => void this.act(() => this.options.engine().stopSession({ id })),
    restartSession: (id) => void this.act(() => this.options.engine().restartSession({ id })),
    setSystemProxy: (sessionId, on) =>
      void this.act(() => (on ? this.options.engine().systemProxyOn({ sessionId }) : this.options.engine().systemProxyOff({}))),
    show: () => this.options.show(),
    quit: () => this.options.quit(),
  };

  private async act(run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (e) {
      console.error('tray action failed:', (e as Error).message);
    }
    await this.refresh(true);
  }
}
