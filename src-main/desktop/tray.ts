/**
 * The tray icon: whether anything records (two images), start/stop of the most recent session, Show and Quit.
 * The menu is plain data built from the session list (tested); `TrayController` applies it to a Tray.
 */
import type { MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import type { Session } from '../../src-shared/model.js';
import type { DesktopEngine } from './engine-api.js';

export interface TrayState {
  running: number;
  /** The most recently created session, if any. */
  last?: Pick<Session, 'id' | 'name' | 'status'>;
  /** Set when the engine could not be asked. */
  error?: string;
}

export interface TrayActions {
  stopSession(id: string): void;
  restartSession(id: string): void;
  show(): void;
  quit(): void;
}

export function trayStateFrom(sessions: Session[]): TrayState {
  const last = [...sessions].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  const running = sessions.filter((s) => s.status === 'running').length;
  return last ? { running, last: { id: last.id, name: last.name, status: last.status } } : { running };
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
  engine: () => DesktopEngine;
  show(): void;
  quit(): void;
  /** Expiry stops sessions without anyone calling: look again this often (0 = never). */
  pollMs?: number;
}

export class TrayController {
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  state: TrayState = { running: 0 };

  constructor(private readonly options: TrayControllerOptions) {
    const pollMs = options.pollMs ?? 5000;
    if (pollMs > 0) {
      this.timer = setInterval(() => void this.refresh(), pollMs);
      this.timer.unref?.();
    }
  }

  /** Re-read the sessions and redraw; concurrent calls coalesce into one more pass. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          this.apply(trayStateFrom((await this.options.engine().listSessions()).sessions));
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
    show: () => this.options.show(),
    quit: () => this.options.quit(),
  };

  private async act(run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (e) {
      console.error('tray action failed:', (e as Error).message);
    }
    await this.refresh();
  }
}
