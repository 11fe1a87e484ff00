import { constants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { currentPlatform, type OsPlatform } from '../elevation.js';
import { execFileRunner } from '../runner.js';
import { DarwinTrustStore } from './darwin.js';
import { LinuxTrustStore } from './linux.js';
import type { TrustCa, TrustDeps, TrustStore } from './types.js';
import { Win32TrustStore } from './win32.js';

export * from './types.js';
export { LinuxTrustStore } from './linux.js';
export { DarwinTrustStore } from './darwin.js';
export { Win32TrustStore } from './win32.js';

/** Looks a program up on PATH without running it (no shell, no `which` binary needed). */
export async function whichOnPath(program: string, envPath = process.env.PATH ?? ''): Promise<boolean> {
  const exts = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    for (const ext of exts) {
      try {
        await fs.access(path.join(dir, program + ext), constants.X_OK);
        return true;
      } catch { /* keep looking */ }
    }
  }
  return false;
}

export function defaultTrustDeps(): TrustDeps {
  return {
    runner: execFileRunner,
    home: os.homedir(),
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    exists: async (p) => fs.access(p).then(() => true, () => false),
    readFile: async (p) => fs.readFile(p, 'utf8').catch(() => null),
    readdir: async (p) => fs.readdir(p).catch(() => []),
    which: (p) => whichOnPath(p),
  };
}

/** The trust store of `platform` (default: this machine's) for `ca`. Pass `deps` to inject a runner in tests. */
export function createTrustStore(ca: TrustCa, platform: OsPlatform = currentPlatform(), deps: Partial<TrustDeps> = {}): TrustStore {
  const full: TrustDeps = { ...defaultTrustDeps(), ...deps };
  switch (platform) {
    case 'linux': return new LinuxTrustStore(ca, full);
    case 'darwin': return new DarwinTrustStore(ca, full);
    case 'win32': return new Win32TrustStore(ca, full);
  }
}
