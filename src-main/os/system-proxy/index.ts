import { currentPlatform, type OsPlatform } from '../elevation.js';
import { OsIntegrationError } from '../errors.js';
import { execFileRunner, type CommandRunner } from '../runner.js';
import { whichOnPath } from '../trust-store/index.js';
import { SystemProxyController } from './controller.js';
import { MacProxyBackend } from './darwin.js';
import { GnomeProxyBackend } from './gnome.js';
import { KdeProxyBackend } from './kde.js';
import type { SystemProxy } from './types.js';
import { WindowsProxyBackend } from './win32.js';

export * from './types.js';
export { SystemProxyController, stateFilePath, readSavedState, STATE_FILE_NAME } from './controller.js';
export { GnomeProxyBackend } from './gnome.js';
export { KdeProxyBackend } from './kde.js';
export { MacProxyBackend } from './darwin.js';
export { WindowsProxyBackend } from './win32.js';

export interface SystemProxyOptions {
  platform?: OsPlatform;
  runner?: CommandRunner;
  /** Linux desktop override; detected from XDG_CURRENT_DESKTOP / KDE_SESSION_VERSION otherwise. */
  desktop?: 'gnome' | 'kde';
  env?: NodeJS.ProcessEnv;
  which?: (program: string) => Promise<boolean>;
}

/** Which Linux mechanism applies: KDE sessions use kioslaverc, everything else GNOME's gsettings (also read by Chromium). */
export async function detectLinuxDesktop(env: NodeJS.ProcessEnv, which: (p: string) => Promise<boolean>): Promise<{ desktop: 'gnome' | 'kde'; kdeVersion: 5 | 6 } | null> {
  const desktops = (env.XDG_CURRENT_DESKTOP ?? '').toUpperCase().split(':');
  if (desktops.includes('KDE')) {
    if (env.KDE_SESSION_VERSION === '6' || (await which('kwriteconfig6'))) return { desktop: 'kde', kdeVersion: 6 };
    if (await which('kwriteconfig5')) return { desktop: 'kde', kdeVersion: 5 };
  }
  if (await which('gsettings')) return { desktop: 'gnome', kdeVersion: 5 };
  return null;
}

/** The system-proxy toggle for this machine; its saved-state file lives in `dataDir` (mode 0600). */
export async function createSystemProxy(dataDir: string, options: SystemProxyOptions = {}): Promise<SystemProxy> {
  const platform = options.platform ?? currentPlatform();
  const runner = options.runner ?? execFileRunner;
  switch (platform) {
    case 'darwin': return new SystemProxyController(new MacProxyBackend(), runner, dataDir);
    case 'win32': return new SystemProxyController(new WindowsProxyBackend(), runner, dataDir);
    case 'linux': {
      const which = options.which ?? ((p: string) => whichOnPath(p));
      const env = options.env ?? process.env;
      const found = options.desktop
        ? { desktop: options.desktop, kdeVersion: env.KDE_SESSION_VERSION === '6' || (await which('kwriteconfig6')) ? 6 as const : 5 as const }
        : await detectLinuxDesktop(env, which);
      if (!found) throw new OsIntegrationError('UNSUPPORTED', 'No supported desktop proxy setting found (need gsettings or kwriteconfig5/6)');
      return found.desktop === 'kde'
        ? new SystemProxyController(new KdeProxyBackend(found.kdeVersion), runner, dataDir)
        : new SystemProxyController(new GnomeProxyBackend(), runner, dataDir);
    }
  }
}
