/**
 * The saved session configurations: one JSON file in the data directory (`saved-configs.json`), read once at open
 * and rewritten whole on every change (they are few and small), atomically. Without a directory they live in memory
 * (bare API servers in tests).
 *
 * A file that cannot be used as it is (not JSON, not our shape, or configs this version no longer accepts) is never
 * emptied: it is renamed aside, the configs that still validate are kept, and `setAside` (in every listing and on
 * stderr) says where the original went and why.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ApiError } from '../../../src-shared/errors.js';
import { parseInput } from '../../../src-shared/schemas.js';
import { saveConfigSchema, type ConfigsSetAside, type SavedConfig, type SavedConfigList, type SavedSessionConfig } from '../../../src-shared/configs-contract.js';
import { describeErrno } from '../ca-storage-errors.js';
import { removeStaleTemps, writeFileAtomic } from '../atomic-file.js';

export const CONFIGS_FILE = 'saved-configs.json';

export interface ConfigRepositoryOptions {
  /** Where the file lives; absent: in memory. */
  dir?: string;
  /** How many may be saved (`limits.maxSavedConfigs`). */
  max: number;
  now?: () => number;
  warn?: (message: string) => void;
}

const fileSchema = z.object({
  version: z.literal(1),
  configs: z.array(z.object({ id: z.string().min(1), name: z.string(), createdAt: z.string(), config: z.record(z.string(), z.unknown()) })),
});

interface Loaded {
  configs: SavedConfig[];
  problem?: string;
}

export class ConfigRepository {
  private configs: SavedConfig[] = [];
  private setAside: ConfigsSetAside | undefined;
  /** Changes run one at a time: each reads the list the previous one wrote. */
  private writing: Promise<unknown> = Promise.resolve();
  private readonly file: string | undefined;
  private readonly now: () => number;

  private constructor(private readonly options: ConfigRepositoryOptions) {
    this.file = options.dir === undefined ? undefined : path.join(options.dir, CONFIGS_FILE);
    this.now = options.now ?? Date.now;
  }

  static async open(options: ConfigRepositoryOptions): Promise<ConfigRepository> {
    const repository = new ConfigRepository(options);
    if (repository.file) removeStaleTemps(repository.file);
    await repository.load();
    return repository;
  }

  list(): SavedConfigList {
    const list: SavedConfigList = { configs: [...this.configs], total: this.configs.length, max: this.options.max };
    if (this.setAside) list.setAside = this.setAside;
    return list;
  }

  get(id: string): SavedConfig {
    const found = this.configs.find((c) => c.id === id);
    if (!found) throw new ApiError('not_found', `saved config ${id} not found (see GET /configs)`, 'configId');
    return found;
  }

  add(name: string, config: SavedSessionConfig): Promise<SavedConfig> {
    return this.change(() => {
      if (this.configs.length >= this.options.max) {
        throw new ApiError(
          'conflict',
          `at most ${this.options.max} session configs may be saved, and ${this.configs.length} are: delete one first ` +
            `(DELETE /configs/:configId), or raise the limit (serve --max-saved-configs N, engine option limits.maxSavedConfigs)`,
        );
      }
      const saved: SavedConfig = { id: randomUUID(), name, createdAt: new Date(this.now()).toISOString(), config };
      return { next: [...this.configs, saved], result: saved };
    });
  }

  delete(id: string): Promise<void> {
    return this.change(() => {
      this.get(id);
      return { next: this.configs.filter((c) => c.id !== id), result: undefined };
    });
  }

  /** `step` decides on the current list; the list changes only once the file holds the new one. */
  private change<T>(step: () => { next: SavedConfig[]; result: T }): Promise<T> {
    const run = this.writing.then(async () => {
      const { next, result } = step();
      await this.write(next);
      this.configs = next;
      return result;
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async write(configs: SavedConfig[]): Promise<void> {
    if (this.file === undefined) return;
    try {
      await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, configs }, null, 2)}\n`);
    } catch (e) {
      throw storageFailed(this.file, 'write', e);
    }
  }

  private async load(): Promise<void> {
    if (this.file === undefined) return;
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return;
      throw storageFailed(this.file, 'read', e);
    }
    const loaded = parseFile(text);
    this.configs = loaded.configs;
    if (loaded.problem === undefined) return;
    // Kept aside under a name that says when, before anything is written in its place.
    const aside = `${this.file}.corrupt-${new Date(this.now()).toISOString().replace(/[:.]/g, '-')}`;
    try {
      await fs.rename(this.file, aside);
      if (loaded.configs.length > 0) await this.write(loaded.configs);
    } catch (e) {
      throw storageFailed(this.file, 'write', e);
    }
    this.setAside = { file: aside, problem: loaded.problem };
    (this.options.warn ?? console.warn)(
      `Traffic Recorder: ${this.file} ${loaded.problem}; the original is kept as ${aside}` +
        (loaded.configs.length > 0 ? ` and the ${loaded.configs.length} valid configs were kept` : ''),
    );
  }
}

/** The configs a file holds, and what was wrong with it (the configs that still validate are kept). */
function parseFile(text: string): Loaded {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { configs: [], problem: `is not valid JSON (${(e as Error).message})` };
  }
  const file = fileSchema.safeParse(json);
  if (!file.success) {
    const issue = file.error.issues[0]!;
    return { configs: [], problem: `is not a saved-configs file (${issue.path.join('.') || 'the file'}: ${issue.message})` };
  }
  const configs: SavedConfig[] = [];
  const problems: string[] = [];
  for (const [index, saved] of file.data.configs.entries()) {
    try {
      // Validated as a save would be: a config an older or newer version wrote must still be one we can start.
      const { name, ...config } = parseInput(saveConfigSchema, { ...saved.config, name: saved.name }, 'saved config');
      configs.push({ id: saved.id, name, createdAt: saved.createdAt, config });
    } catch (e) {
      problems.push(`config ${index} ("${saved.name}"): ${(e as Error).message}`);
    }
  }
  return problems.length === 0 ? { configs } : { configs, problem: `holds configs this version does not accept: ${problems.join('; ')}` };
}

function storageFailed(file: string, action: 'read' | 'write', e: unknown): ApiError {
  const reason = describeErrno((e as { code?: string }).code, (e as Error).message);
  return new ApiError('storage_failed', `cannot ${action} the saved configs (${file}): ${reason}`);
}
