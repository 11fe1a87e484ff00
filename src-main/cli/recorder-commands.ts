/** `traffic-recorder recorder ...`: sessions and their entries on a running server, over REST. */
import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { ApiError } from '../../src-shared/errors.js';
import type { StartSessionInput } from '../../src-shared/schemas.js';
import type { RestRecorderClient } from './rest-client.js';
import { intArg, print } from './cli-support.js';
import { entriesTable, sessionSummary, sessionsTable, warnStorage } from './format.js';
import { resolveSessionId } from './session-ref.js';
import { addConfigCommands, savedStartConfig } from './config-commands.js';
import { addHarCommands } from './har-commands.js';
import { addMockartyCommands } from './mockarty-commands.js';
import { addExportCommands } from './export-commands.js';

export type ClientFactory = (cmd: Command) => { api: RestRecorderClient; json: boolean | undefined };

export function addRecorderCommands(program: Command, withServer: (cmd: Command) => Command, client: ClientFactory): void {
  const recorder = withServer(program.command('recorder').description('manage recording sessions on a running server'));
  addStartAndList(recorder, client);
  addSessionCommands(recorder, client);
  addEntriesCommand(recorder, client);
  addConfigCommands(recorder, client);
  addHarCommands(recorder, client);
  addMockartyCommands(recorder, client);
  addExportCommands(recorder, client);
}

function addStartAndList(recorder: Command, client: ClientFactory): void {
  recorder
    .command('start')
    .description('start a session (reverse proxy to --target, or --mode forward)')
    .option('--target <url>', 'upstream URL (required for reverse mode)')
    .option('--port <port>', 'listen port (default: first free in 8081-8999)', intArg('--port', 0, 65535))
    .option('--name <name>', 'session name (generated when empty)')
    .addOption(new Option('--mode <mode>', 'proxy mode').choices(['reverse', 'forward']).default('reverse'))
    .option('--session-namespace <ns>', 'namespace', 'default')
    .option('--listen-host <ip>', 'address the proxy binds (default 127.0.0.1)')
    .option('--config <file>', 'full session config as JSON (filters etc.); flags override its fields')
    .option('--config-id <config>', 'a saved config (id, unique id prefix or name; see `recorder configs`); flags override its fields')
    .action(async (opts: StartOptions, cmd: Command) => {
      const { api, json } = client(cmd);
      if (opts.config && opts.configId) throw new ApiError('bad_request', 'give --config or --config-id, not both');
      const saved = opts.configId === undefined ? undefined : await savedStartConfig(api, opts.configId);
      const input = startInput(opts, cmd, saved);
      const { session } = await api.startSession(input);
      warnStorage([session]);
      print(json, { session }, () => sessionSummary(session));
    });

  recorder
    .command('list')
    .description('list sessions')
    .action(async (_opts, cmd: Command) => {
      const { api, json } = client(cmd);
      const result = await api.listSessions();
      // On stderr, so that `--json` output stays parseable and scripts see the warning too.
      warnStorage(result.sessions);
      print(json, result, () => sessionsTable(result.sessions));
    });
}

function addSessionCommands(recorder: Command, client: ClientFactory): void {
  for (const [name, verb] of [
    ['get', 'show'],
    ['stop', 'stop'],
    ['restart', 'restart'],
  ] as const) {
    const command = recorder
      .command(`${name} <id>`)
      .description(`${verb} a session (ID: the full id or a unique prefix of it)`);
    if (name === 'restart') command.option('--keep-port', 'fail (naming who holds it) instead of moving to another port when the old one is taken');
    command.action(async (id: string, opts: { keepPort?: boolean }, cmd: Command) => {
      const { api, json } = client(cmd);
      id = await resolveSessionId(api, id);
      const call =
        name === 'get' ? api.getSession({ id }) : name === 'stop' ? api.stopSession({ id }) : api.restartSession({ id, ...(opts.keepPort ? { keepPort: true } : {}) });
      const { session } = await call;
      warnStorage([session]);
      print(json, { session }, () => sessionSummary(session));
    });
  }

  recorder
    .command('delete <id>')
    .description('delete a session and its entries (ID: the full id or a unique prefix)')
    .action(async (id: string, _opts, cmd: Command) => {
      const { api, json } = client(cmd);
      id = await resolveSessionId(api, id);
      const result = await api.deleteSession({ id });
      print(json, result, () => `Deleted session ${id}.`);
    });
}

function addEntriesCommand(recorder: Command, client: ClientFactory): void {
  recorder
    .command('entries <id>')
    .description("list a session's entries (ID: the full id or a unique prefix)")
    .option('--offset <n>', 'skip this many', intArg('--offset', 0, Number.MAX_SAFE_INTEGER), 0)
    .option('--limit <n>', 'at most this many (1-1000)', intArg('--limit', 1, 1000), 100)
    .action(async (id: string, opts: { offset: number; limit: number }, cmd: Command) => {
      const { api, json } = client(cmd);
      id = await resolveSessionId(api, id);
      const page = await api.listEntries({ id, offset: opts.offset, limit: opts.limit, bodies: json ? true : false });
      print(json, page, () => entriesTable(page.entries, page.total, page.offset));
    });
}

interface StartOptions {
  config?: string;
  configId?: string;
  mode: string;
  sessionNamespace: string;
  target?: string;
  port?: number;
  name?: string;
  listenHost?: string;
}

/** The session config of `recorder start`: the --config file or the saved config, then the flags given on top of it. */
function startInput(opts: StartOptions, cmd: Command, saved?: StartSessionInput): StartSessionInput {
  let input: StartSessionInput = saved ?? {};
  if (opts.config) {
    try {
      input = JSON.parse(fs.readFileSync(opts.config, 'utf8')) as StartSessionInput;
    } catch (e) {
      throw new ApiError('bad_request', `--config ${opts.config}: ${(e as Error).message}`);
    }
  }
  // A flag's default must not override what the file says (`--config forward.json` stays forward).
  const given = (flag: string) => cmd.getOptionValueSource(flag) === 'cli';
  input = {
    ...input,
    ...(given('mode') || input.mode === undefined ? { mode: opts.mode as StartSessionInput['mode'] } : {}),
    ...(given('sessionNamespace') || input.namespace === undefined ? { namespace: opts.sessionNamespace } : {}),
    ...(opts.target ? { targetUrl: opts.target } : {}),
    ...(opts.port !== undefined ? { listenPort: opts.port } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.listenHost ? { listenHost: opts.listenHost } : {}),
  };
  if ((input.mode ?? 'reverse') === 'reverse' && !input.targetUrl) {
    const where = opts.config ? ` (or "targetUrl" in ${opts.config})` : '';
    throw new ApiError('bad_request', `--target URL is required for a reverse-proxy session${where}; use --mode forward for a forward proxy`, 'targetUrl');
  }
  return input;
}
