/**
 * The engine's methods for the saved-config rows (src-shared/configs-contract.ts); engine-operations.ts spreads them.
 * Every transport's operations over one recorder share its one repository, opened on first use in the recorder's
 * data directory (in memory when it has none).
 */
import type { CONFIG_OPERATIONS, SavedConfig } from '../../../src-shared/configs-contract.js';
import type { StartSessionInput } from '../../../src-shared/schemas.js';
import type { EngineCalls } from '../engine-operations.js';
import type { Recorder } from '../sessions/recorder.js';
import { ConfigRepository } from './config-repository.js';

export type ConfigCalls = Pick<EngineCalls, Extract<keyof EngineCalls, keyof typeof CONFIG_OPERATIONS>>;

const repositories = new WeakMap<Recorder, Promise<ConfigRepository>>();

/** The recorder's repository; a failed open (unreadable file) is tried again by the next call. */
export function configRepositoryOf(recorder: Recorder): Promise<ConfigRepository> {
  let opening = repositories.get(recorder);
  if (!opening) {
    const { dataDir } = recorder;
    opening = ConfigRepository.open({ max: recorder.limits.maxSavedConfigs, ...(dataDir === undefined ? {} : { dir: dataDir }) });
    opening.catch(() => repositories.delete(recorder));
    repositories.set(recorder, opening);
  }
  return opening;
}

/** The exported file: the start config with its name, which import and `POST /start` both take unchanged. */
export function exportedConfig(saved: SavedConfig): StartSessionInput {
  return { name: saved.name, ...saved.config };
}

function fileNameOf(saved: SavedConfig): string {
  const slug = saved.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return `${slug || 'config'}.traffic-recorder.json`;
}

/** A name for an imported file that has none: its target's host, or what it is. */
function importedName(config: StartSessionInput): string {
  if (config.name?.trim()) return config.name.trim();
  return config.targetUrl ? new URL(config.targetUrl).host : `${config.mode ?? 'reverse'} proxy`;
}

export function configOperations(recorder: Recorder): ConfigCalls {
  const repository = () => configRepositoryOf(recorder);
  return {
    listConfigs: async () => (await repository()).list(),
    saveConfig: async ({ name, ...config }) => ({ config: await (await repository()).add(name, config) }),
    importConfig: async (input = {}) => {
      const { name: _given, ...config } = input;
      return { config: await (await repository()).add(importedName(input), config) };
    },
    getConfig: async ({ configId }) => ({ config: (await repository()).get(configId) }),
    deleteConfig: async ({ configId }) => {
      await (await repository()).delete(configId);
      return { deleted: true, id: configId };
    },
    exportConfig: async ({ configId }) => {
      const saved = (await repository()).get(configId);
      const bytes = Buffer.from(`${JSON.stringify(exportedConfig(saved), null, 2)}\n`);
      return { bytes, contentType: 'application/json; charset=utf-8', fileName: fileNameOf(saved) };
    },
  };
}
