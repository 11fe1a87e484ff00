/**
 * Small stand-ins for Electron's ipcMain / ipcRenderer / webContents that record registrations and carry
 * values the way IPC does (structured clone both ways), so handler and bridge tests run without Electron.
 */
import type { IpcMainInvokeEvent } from 'electron';
import { APP_ENTRY_URL } from '../app-protocol.js';

type InvokeHandler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

export class FakeIpcMain {
  readonly handlers = new Map<string, InvokeHandler>();
  readonly registrations: string[] = [];

  handle(channel: string, handler: InvokeHandler): void {
    // Electron refuses a second handler for a channel.
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.registrations.push(channel);
    this.handlers.set(channel, handler);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

export class FakeSender {
  readonly sent: Array<{ channel: string; payload: unknown }> = [];
  private destroyed = false;
  private readonly onDestroyed: Array<() => void> = [];
  deliver: ((channel: string, payload: unknown) => void) | undefined;

  constructor(readonly id: number) {}

  send(channel: string, payload: unknown): void {
    const copy = structuredClone(payload);
    this.sent.push({ channel, payload: copy });
    this.deliver?.(channel, copy);
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  once(event: string, listener: () => void): this {
    if (event === 'destroyed') this.onDestroyed.push(listener);
    return this;
  }

  destroy(): void {
    this.destroyed = true;
    for (const l of this.onDestroyed.splice(0)) l();
  }
}

export interface FrameLike {
  url: string;
  parent: unknown;
}

export const APP_FRAME: FrameLike = { url: APP_ENTRY_URL, parent: null };

export function fakeEvent(sender: FakeSender, frame: FrameLike | null = APP_FRAME): IpcMainInvokeEvent {
  return { sender, senderFrame: frame } as unknown as IpcMainInvokeEvent;
}

/** A renderer-side ipcRenderer wired to `ipcMain`'s handlers, as seen from `sender` in `frame`. */
export class FakeIpcRenderer {
  readonly invoked: string[] = [];
  private readonly listeners = new Map<string, Array<(event: unknown, payload: unknown) => void>>();

  constructor(
    private readonly ipcMain: FakeIpcMain,
    readonly sender: FakeSender,
    private readonly frame: FrameLike | null = APP_FRAME,
  ) {
    sender.deliver = (channel, payload) => {
      for (const l of this.listeners.get(channel) ?? []) l({}, payload);
    };
  }

  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push(channel);
    const handler = this.ipcMain.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    const result = await handler(fakeEvent(this.sender, this.frame), ...structuredClone(args));
    return structuredClone(result);
  }

  on(channel: string, listener: (event: unknown, payload: unknown) => void): this {
    const list = this.listeners.get(channel) ?? [];
    list.push(listener);
    this.listeners.set(channel, list);
    return this;
  }
}
