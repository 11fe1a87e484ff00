/**
 * Chooses where the engine runs. Default: an Electron utility process (docs/desktop.md says why);
 * `TRAFFIC_RECORDER_ENGINE=main` runs it in the main process instead (debugging, or a platform where
 * utility processes misbehave). Either way the engine gets the settings of `engine-config.json` in the data dir.
 */
import { fileURLToPath } from 'node:url';
import type { ForkOptions } from 'electron';
import type { EngineConfig } from '../../src-shared/engine-config.js';
import { engineConfigArg, readEngineConfigFile } from './engine-config-file.js';
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
  /** The engine's settings (default: read from engine-config.json in the data dir, once). */
  engineConfig?: EngineConfig;
}

/** The engine process's command line: its data dir and its configuration. */
export function engineProcessArgs(dataDir: string, config: EngineConfig): string[] {
  return [`${DATA_DIR_FLAG}${dataDir}`, engineConfigArg(config)];
}

export function createEngineHost(options: EngineSetupOptions): EngineHostLike {
  const config = options.engineConfig ?? readEngineConfigFile(options.dataDir);
  if (options.mode === 'main') {
    return inMainProcessHost(() => openDesktopEngine({ ...config, dataDir: options.dataDir }));
  }
  const entry = fileURLToPath(new URL('./engine-process.js', import.meta.url));
  return new UtilityEngineHost({
    fork: () =>
      options.utilityProcess.fork(entry, engineProcessArgs(options.dataDir, config), {
        serviceName: 'Traffic Recorder engine',
        stdio: 'inherit',
      }) as ChildLike,
    onRestart: (reason) => options.onRestart(reason),
    onGiveUp: (reason) => options.onGiveUp(reason),
  });
}
