/**
 * Electron main process: lifecycle only. One instance (a second launch focuses the first window), the engine
 * host, the app protocol, IPC, menu, tray, the window, and a quit that waits for the engine to flush.
 */
import path from 'node:path';
import { BrowserWindow, Menu, Tray, app, dialog, ipcMain, nativeImage, protocol, session, shell, utilityProcess } from 'electron';
import { defaultDataDir } from '../engine/data-dir.js';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, serveAppRequest } from './app-protocol.js';
import { createEngineHost, engineMode } from './engine-setup.js';
import { bindIpcHandlers } from './ipc-handlers.js';
import { appMenuTemplate } from './menu.js';
import { hardenSession, hardenWebContents } from './security.js';
import { createSenderCheck } from './sender-check.js';
import { installGracefulShutdown } from './shutdown.js';
import { TrayController } from './tray.js';
import { OwnWindows, createMainWindow, desktopPaths, focusWindow } from './window.js';

// Must happen before `ready`: static imports and top-level code of the ESM entry run before it.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

if (app.requestSingleInstanceLock()) await run();
else app.quit();

async function run(): Promise<void> {
  const paths = desktopPaths(app.getAppPath());
  const dataDir = path.resolve(defaultDataDir());
  const own = new OwnWindows();
  let mainWindow: BrowserWindow | undefined = undefined;
  let tray: TrayController | undefined = undefined;

  const host = createEngineHost({
    mode: engineMode(),
    dataDir,
    utilityProcess,
    onRestart: (reason) => ipc.closeAllStreams(reason),
    onGiveUp: (reason) => dialog.showErrorBox('Traffic Recorder engine stopped', reason),
  });
  const ipc = bindIpcHandlers({
    ipcMain,
    engine: () => host.current(),
    isTrustedSender: createSenderCheck((id) => own.has(id)),
    onMutation: () => void tray?.refresh(true),
  });
  installGracefulShutdown({ app, stop: () => host.stop() });

  const showWindow = () => {
    if (mainWindow && !mainWindow.isDestroyed()) return focusWindow(mainWindow);
    mainWindow = createMainWindow({ BrowserWindow, paths, own, onPageReset: (id) => ipc.dropSender(id) });
    mainWindow.on('closed', () => (mainWindow = undefined));
  };

  app.on('second-instance', () => {
    if (app.isReady()) showWindow();
  });
  app.on('activate', () => {
    if (app.isReady()) showWindow();
  });
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  await app.whenReady();
  hardenSession(session.defaultSession);
  session.defaultSession.protocol.handle(APP_SCHEME, (request) => serveAppRequest(request, paths.rendererDir));
  try {
    await host.start();
  } catch (e) {
    dialog.showErrorBox('Traffic Recorder could not start its engine', `${(e as Error).message}\n\nData folder: ${dataDir}`);
    app.exit(1);
    return;
  }
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(process.platform, { showDataFolder: () => void shell.openPath(dataDir) })));
  const trayImage = (name: string) => nativeImage.createFromPath(path.join(paths.assetsDir, name));
  tray = new TrayController({
    tray: new Tray(trayImage('tray-idle.png')),
    images: { idle: trayImage('tray-idle.png'), recording: trayImage('tray-recording.png') },
    buildMenu: (template) => Menu.buildFromTemplate(template),
    engine: () => host.current(),
    show: showWindow,
    quit: () => app.quit(),
  });
  void tray.refresh();
  showWindow();
}
