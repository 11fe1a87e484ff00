/**
 * `traffic-recorder recorder configs ...`: saved session configs on a running server, over REST. A config is named
 * on the command line by its id, a unique prefix of it, or its exact name when only one config has it.
 */
import fs from 'node:fs';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { ApiError } from '../../src-shared/errors.js';
import type { SavedConfig, SavedConfigList } from '../../src-shared/configs-contract.js';
import type { StartSessionInput } from '../../src-shared/schemas.js';
import type { RestRecorderClient } from './rest-client.js';
import { print } from './cli-support.js';

type ClientFactory = (cmd: Command) => { api: RestRecorderClient; json: boolean | undefined };

export function addConfigCommands(recorder: Command, client: ClientFactory): void {
  const configs = recorder.command('configs').description('saved session configs: list, save, delete, export, import');
  configs
    .command('list')
    .description('list the saved configs')
    .action(async (_opts, cmd: Command) => {
      const { api, json } = client(cmd);
      const list = await api.listConfigs();
      if (list.setAside) process.stderr.write(`warning: the saved-configs file ${list.setAside.problem}; the original is kept as ${list.setAside.file}\n`);
      print(json, list, () => configsTable(list));
    });
  configs
    .command('save <file>')
    .description('save the session config in FILE (JSON, as `recorder start --config` takes it)')
    .option('--name <name>', 'the name to save it under (default: "name" in FILE)')
    .action(async (file: string, opts: { name?: string }, cmd: Command) => {
      const { api, json } = client(cmd);
      const input = readConfigFile(file);
      const name = opts.name ?? input.name;
      if (!name?.trim()) throw new ApiError('bad_request', `${file} has no "name": give one with --name`, 'name');
      const { config } = await inFile(file, api.saveConfig({ ...input, name }));
      print(json, { config }, () => `Saved config ${config.id} "${config.name}".`);
    });
  configs
    .command('import <file>')
    .description('import a file that `configs export` wrote (or any session config; without a name it is named after its target)')
    .action(async (file: string, _opts, cmd: Command) => {
      const { api, json } = client(cmd);
      const { config } = await inFile(file, api.importConfig(readConfigFile(file)));
      print(json, { config }, () => `Imported config ${config.id} "${config.name}".`);
    });
  configs
    .command('export <config>')
    .description('write a saved config as JSON (CONFIG: id, unique id prefix or name) to stdout or --out')
    .option('--out <file>', 'write it to this file')
    .action(async (ref: string, opts: { out?: string }, cmd: Command) => {
      const { api } = client(cmd);
      const configId = await resolveConfigId(api, ref);
      const { bytes } = await api.exportConfig({ configId });
      if (!opts.out) return void process.stdout.write(bytes);
      fs.writeFileSync(opts.out, bytes);
      process.stdout.write(`Exported config ${configId} to ${opts.out}.\n`);
    });
  configs
    .command('delete <config>')
    .description('delete a saved config (CONFIG: id, unique id prefix or name)')
    .action(async (ref: string, _opts, cmd: Command) => {
      const { api, json } = client(cmd);
      const result = await api.deleteConfig({ configId: await resolveConfigId(api, ref) });
      print(json, result, () => `Deleted config ${result.id}.`);
    });
}

/** The start config a saved config holds, its name as the session's: what `recorder start --config-id` starts. */
export async function savedStartConfig(api: RestRecorderClient, ref: string): Promise<StartSessionInput> {
  const { config } = await api.getConfig({ configId: await resolveConfigId(api, ref) });
  return { name: config.name, ...config.config };
}

/** The one config `ref` names: an exact id, then a unique id prefix, then a unique name. */
export function pickConfigId(configs: readonly Pick<SavedConfig, 'id' | 'name'>[], ref: string): string {
  const wanted = ref.trim();
  if (!wanted) throw new ApiError('bad_request', 'config: empty; give its id, the first characters of it, or its name (see `recorder configs list`)', 'configId');
  const exact = configs.find((c) => c.id === wanted);
  if (exact) return exact.id;
  for (const matches of [configs.filter((c) => c.id.startsWith(wanted.toLowerCase())), configs.filter((c) => c.name === wanted)]) {
    if (matches.length === 1) return matches[0]!.id;
    if (matches.length > 1) {
      const shown = matches.slice(0, 5).map((c) => `${c.id} ("${c.name}")`).join(', ');
      throw new ApiError('bad_request', `config "${ref}" is ambiguous: it matches ${shown}; give more of the id`, 'configId');
    }
  }
  throw new ApiError('not_found', `config ${ref} not found: no saved config has that id, id prefix or name (see \`recorder configs list\`)`, 'configId');
}

async function resolveConfigId(api: RestRecorderClient, ref: string): Promise<string> {
  return pickConfigId((await api.listConfigs()).configs, ref);
}

function readConfigFile(file: string): StartSessionInput {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StartSessionInput;
  } catch (e) {
    throw new ApiError('bad_request', `${file}: ${(e as Error).message}`);
  }
}

/** The server's refusal of a file's content, said about that file. */
async function inFile<T>(file: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof Error) e.message = `${file}: ${e.message}`;
    throw e;
  }
}

function configsTable(list: SavedConfigList): string {
  if (list.total === 0) return `No saved configs (at most ${list.max}).`;
  const plain = process.stdout.isTTY ? {} : { style: { head: [], border: [] } };
  const table = new Table({ ...plain, head: ['ID', 'NAME', 'MODE', 'TARGET', 'CREATED'] });
  for (const c of list.configs) table.push([c.id, c.name, c.config.mode ?? 'reverse', c.config.targetUrl ?? '-', c.createdAt]);
  return `${table.toString()}\n${list.total} of at most ${list.max}`;
}
