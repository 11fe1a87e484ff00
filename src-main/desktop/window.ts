/** The main window: locked-down options (tested as data), our app URL, and the registry of our webContents. */
import path from 'node:path';
import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';
import { APP_ENTRY_URL } from './app-protocol.js';
import { hardenWebContents, webPreferencesFor } from './security.js';

export interface DesktopPaths {
  root: string;
  /** The bundled CommonJS preload (a sandboxed preload cannot load ESM or local modules). */
  preload: string;
  rendererDir: string;
  assetsDir: string;
}

export function desktopPaths(root: string): DesktopPaths {
  return {
    root,
    preload: path.join(root, 'dist', 'src-preload', 'preload.cjs'),
    rendererDir: path.join(root, 'dist', 'renderer'),
    assetsDir: path.join(root, 'assets'),
  };
}

export function mainWindowOptions(paths: DesktopPaths): BrowserWindowConstructorOptions {
  return {
    width: 1360,
    height: 860,
    minWidth: 900,
    minHeight: 560,
    show: false,
    title: 'Traffic Recorder',
    backgroundColor: '#1e1e1e',
    icon: path.join(paths.assetsDir, 'icon.png'),
    webPreferences: webPreferencesFor(paths.preload),
  };
}

/** The webContents ids of windows we created: the only ones whose IPC calls are answered. */
export class OwnWindows {
  private readonly ids = new Set<number>();
  has(webContentsId: number): boolean {
    return this.ids.has(webContentsId);
  }
  add(webContentsId: number): void {
    this.ids.add(webContentsId);
  }
  delete(webContentsId: number): void {
    this.ids.delete(webContentsId);
  }
}

export type BrowserWindowCtor = new (options: BrowserWindowConstructorOptions) => BrowserWindow;

export interface CreateWindowOptions {
  BrowserWindow: BrowserWindowCtor;
  paths: DesktopPaths;
  own: OwnWindows;
  /** The page is (re)loading: its stream subscriptions are void. */
  onPageReset: (webContentsId: number) => void;
}

export function createMainWindow({ BrowserWindow, paths, own, onPageReset }: CreateWindowOptions): BrowserWindow {
  const win = new BrowserWindow(mainWindowOptions(paths));
  const contents = win.webContents;
  const id = contents.id;
  own.add(id);
  hardenWebContents(contents);
  contents.on('did-start-loading', () => onPageReset(id));
  contents.once('destroyed', () => {
    own.delete(id);
    onPageReset(id);
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_ENTRY_URL).catch((e: unknown) => console.error('could not load the UI:', e));
  return win;
}

export function focusWindow(win: BrowserWindow): void {
  if (win.isMinimized()) win.restore();
  if (!win.isVisible()) win.show();
  win.focus();
}
