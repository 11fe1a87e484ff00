/**
 * Saved session configurations (`/api/v1/recorder/configs...`, the reference's paths). Spread into the operation
 * table by contract.ts.
 *
 * A saved config is a start config (what `POST /start` takes) kept under a name. Its export is that start config
 * with the name in it, as a JSON file: `POST /configs/import` takes it unchanged, and so does `POST /start` (and
 * `recorder start --config FILE`), since `name` is a start field too.
 */
import { z } from 'zod';
import { INPUT_LIMITS, startSessionSchema, type StartSessionInput } from './schemas.js';
import { id, none, row, type BytesResult } from './operation-row.js';

/** What `POST /start` would take, less the name (kept beside it). */
export type SavedSessionConfig = Omit<StartSessionInput, 'name'>;

export interface SavedConfig {
  id: string;
  name: string;
  /** ISO 8601. */
  createdAt: string;
  config: SavedSessionConfig;
}

/** A saved-configs file that could not be read as it was: moved aside (never emptied), and where to. */
export interface ConfigsSetAside {
  file: string;
  problem: string;
}

export interface SavedConfigList {
  configs: SavedConfig[];
  total: number;
  /** How many may be saved (the engine option `limits.maxSavedConfigs`). */
  max: number;
  /** Set when the file found at open was unreadable (or held invalid configs) and was kept aside. */
  setAside?: ConfigsSetAside;
}

const configName = z
  .string({ error: 'is required: the name the config is saved under' })
  .trim()
  .min(1, 'must not be empty: the name the config is saved under')
  .max(INPUT_LIMITS.name);

/** `POST /configs`: a start config, validated exactly as `POST /start` validates it, and its name (required). */
export const saveConfigSchema = startSessionSchema.safeExtend({ name: configName });

/** `POST /configs/import`: an exported file, or any start config (without a name, one is made up). */
export const importConfigSchema = startSessionSchema;

export const configRef = z.strictObject({ configId: id });

export const CONFIG_OPERATIONS = {
  /** Oldest first. */
  listConfigs: row<SavedConfigList>()({ kind: 'json', method: 'GET', path: '/configs', input: none, what: 'query' }),
  saveConfig: row<{ config: SavedConfig }>()({ kind: 'json', method: 'POST', path: '/configs', input: saveConfigSchema, what: 'session config', status: 201 }),
  // Before `/configs/:configId`, which it could be mistaken for.
  importConfig: row<{ config: SavedConfig }>()({ kind: 'json', method: 'POST', path: '/configs/import', input: importConfigSchema, what: 'config file', status: 201 }),
  getConfig: row<{ config: SavedConfig }>()({ kind: 'json', method: 'GET', path: '/configs/:configId', input: configRef, what: 'params' }),
  deleteConfig: row<{ deleted: true; id: string }>()({ kind: 'json', method: 'DELETE', path: '/configs/:configId', input: configRef, what: 'params' }),
  /** The start config with its name, as a JSON file (Content-Disposition: attachment) that import takes unchanged. */
  exportConfig: row<BytesResult, 'bytes'>()({ kind: 'bytes', method: 'GET', path: '/configs/:configId/export', input: configRef, what: 'params' }),
} as const;
