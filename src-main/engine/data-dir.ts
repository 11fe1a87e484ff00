import envPaths from 'env-paths';

/**
 * The per-OS data folder (`~/.local/share/traffic-recorder` on Linux), or TRAFFIC_RECORDER_DATA_DIR. A module of its
 * own so that the desktop shell's main process can read it without loading the engine.
 */
export function defaultDataDir(): string {
  return process.env.TRAFFIC_RECORDER_DATA_DIR || envPaths('traffic-recorder', { suffix: '' }).data;
}
