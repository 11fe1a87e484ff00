/**
 * Chooses where the engine runs. Default: an Electron utility process (docs/desktop.md says why);
 * `TRAFFIC_RECORDER_ENGINE=main` runs it in the main process instead (debugging, or a platform where
 * utility processes misbehave).
 */
import { fileURLToPath } from 'node:url';
import type { ForkOptions } from 'electron';
import { DATA_DIR_FLAG } from './engine-protocol.js';
import { openDesktopEngine } from './engine-runtime.js';
import { UtilityEngineHost, inMainProcessHost, type ChildLike, type EngineHostLike } from './engine-host.js';

export type EngineMode = 'utility' | 'main';

export function engineMode(env: NodeJS.ProcessEnv = process.env): EngineMode {
  return env.TRAFFIC_RECORDER_ENGINE === 'main' ? 'main' : 'utility';
}

export interface EngineSetupOptions {
  mode: EngineMode;
  dataDir: string;
  utilityProcess: { fork(modulePath: string, args?: string[], options?: ForkOptions): unknown };
  onRestart(reason: string): void;
  onGiveUp(reason: string): void;
}

export function createEngineHost(options: EngineSetupOptions): EngineHostLike {
  if (options.mode === 'main') {
    return inMainProcessHost(() => openDesktopEngine({ dataDir: options.dataDir }));
  }
  const entry = fileURLToPath(new URL('./engine-process.js', import.meta.url));
  return new UtilityEngineHost({
    fork: () =>
      options.utilityProcess.fork(entry, [`${DATA_DIR_FLAG}${options.dataDir}`], {
        serviceName: 'Traffic Recorder engine',
        stdio: 'inherit',
      }) as ChildLike,
    onRestart: options.onRestart,
    onGiveUp: options.onGiveUp,
  });
}
