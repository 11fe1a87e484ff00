/**
 * Which IPC callers we answer: the top frame of a window we created, showing our own app URL. An iframe,
 * a page that somehow navigated elsewhere, or any other webContents gets `forbidden`.
 */
import type { IpcMainInvokeEvent } from 'electron';
import { isAppUrl } from './app-protocol.js';

export interface SenderEventLike {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown } | null;
}

export function createSenderCheck(isOwnWebContents: (webContentsId: number) => boolean): (event: IpcMainInvokeEvent) => boolean {
  return (event) => isTrustedSenderEvent(event, isOwnWebContents);
}

export function isTrustedSenderEvent(event: SenderEventLike, isOwnWebContents: (webContentsId: number) => boolean): boolean {
  const frame = event.senderFrame;
  // null: the frame navigated or was destroyed before the call was handled.
  if (!frame) return false;
  if (frame.parent !== null) return false;
  if (!isOwnWebContents(event.sender.id)) return false;
  return isAppUrl(frame.url);
}
