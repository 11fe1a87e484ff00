/**
 * `traffic-recorder`: `serve` runs the headless server; `recorder ...` drives a running one over REST.
 * People get tables, scripts get `--json`; any failure is one line on stderr and a non-zero exit.
 */
import fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ApiError } from '../../src-shared/errors.js';
import type { StartSessionInput } from '../../src-shared/schemas.js';
import { RestRecorderClient } from './rest-client.js';
import { readTokenFile } from '../server/api-token.js';
import { FORWARDERS, type Forwarder } from '../engine/proxy/forwarders.js';
import { entriesTable, sessionSummary, sessionsTable, warnStorage } from './format.js';
import { addMachineCommands } from './machine-commands.js';
import { addStorageCommand } from './storage-command.js';
import { resolveSessionId } from './session-ref.js';
import { formatByteSize, parseByteSize } from './size-arg.js';

const DEFAULT_SERVER = 'http://127.0.0.1:5770';

function intArg(name: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** The smallest store budget: below it a handful of large bodies would evict everything else. */
const MIN_STORE_BYTES = 16 * 1024 * 1024;
/** A session cannot hold more than the whole store: the default store budget. */
const MAX_ENTRIES_PER_SESSION = 1_000_000;

function sizeArg(name: string, min: number) {
  return (value: string) => {
    const bytes = parseByteSize(value);
    if (bytes === undefined) throw new InvalidArgumentError(`${name} must be a size such as 500M, 2G, 2GiB or a number of bytes, got "${value}"`);
    if (bytes < min) throw new InvalidArgumentError(`${name} must be at least ${formatByteSize(min)}, got ${formatByteSize(bytes)}`);
    return bytes;
  };
}

interface ServeOptions {
  host: string;
  port: number;
  dataDir?: string;
  token?: string;
  tokenFile?: string;
  allowedHost?: string[];
  maxSessions?: number;
  maxEntries?: number;
  maxTotalEntries?: number;
  maxStoreBytes?: number;
  bodyLimit?: number;
  sessionHours?: number;
  retentionDays?: number;
  proxyWorkers?: number;
  forwarder?: Forwarder;
}

interface GlobalOptions {
  server: string;
  token?: string;
  tokenFile?: string;
  json?: boolean;
}

function print(json: boolean | undefined, data: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}

export function buildProgram(): Command {
  const program = new Command('traffic-recorder')
    .description('Record HTTP(S) traffic through local proxy sessions; drive it over REST.')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') });

  program
    .command('serve')
    .description('run the headless server: REST API, WebSocket stream and the UI in a browser')
    .option('--host <host>', 'address to bind (use 0.0.0.0 to reach it from other machines)', '127.0.0.1')
    .option('--port <port>', 'API port (0 = any free port)', intArg('--port', 0, 65535), 5770)
    .option('--data-dir <dir>', 'where sessions, entries and the token live (default: per-OS app data, or $TRAFFIC_RECORDER_DATA_DIR)')
    .option('--token <token>', 'API token; visible to other users in ps: prefer --token-file or $TRAFFIC_RECORDER_TOKEN')
    .option('--token-file <file>', 'read the API token from this file (default: $TRAFFIC_RECORDER_TOKEN, or generated once and kept in the data dir)')
    .option('--allowed-host <name...>', 'extra Host names to accept, e.g. when behind a reverse proxy')
    .option('--max-sessions <n>', 'sessions that may run at once (default 30)', intArg('--max-sessions', 1, 900))
    .option('--max-entries <n>', 'entries kept per session, oldest evicted first (default 1000, at most 1000000: no store budget holds more)', intArg('--max-entries', 1, MAX_ENTRIES_PER_SESSION))
    .option('--max-total-entries <n>', 'entries kept in the whole store, every session together (default 1000000)', intArg('--max-total-entries', 1, 100_000_000))
    .option('--max-store-bytes <size>', 'disk space the store may take, e.g. 500M, 2G, 2GiB or bytes (default 2GiB, at least 16MiB)', sizeArg('--max-store-bytes', MIN_STORE_BYTES))
    .option('--body-limit <bytes>', 'bytes of each body kept (default 1048576)', intArg('--body-limit', 0, 1024 * 1024 * 1024))
    .option('--session-hours <h>', 'a session stops this long after it starts (default 4)', intArg('--session-hours', 1, 24 * 365))
    .option('--retention-days <d>', 'entries are kept this long after their session stops (default 5)', intArg('--retention-days', 1, 3650))
    .option('--proxy-workers <n>', 'run session proxies in n processes sharing each port (default: cores - 1 up to 4 on 4+ cores, else 0 = in the server process)', intArg('--proxy-workers', 0, 64))
    .addOption(
      new Option('--forwarder <name>', "who sends recorded requests upstream: 'direct' (our HTTP/1 forwarder) or 'mockttp' (its passthrough step, slower)")
        .choices(FORWARDERS)
        .default('direct'),
    )
    .action(async (opts: ServeOptions) => {
      if (opts.token && opts.tokenFile) throw new Error('give --token or --token-file, not both');
      if (opts.token) process.stderr.write('warning: --token is visible to every user of this machine (ps); prefer --token-file FILE or $TRAFFIC_RECORDER_TOKEN\n');
      const { startHeadless } = await import('../server/headless.js');
      const limits = {
        ...(opts.maxSessions ? { maxSessions: opts.maxSessions } : {}),
        ...(opts.maxEntries ? { maxEntriesPerSession: opts.maxEntries } : {}),
        ...(opts.maxTotalEntries ? { maxTotalEntries: opts.maxTotalEntries } : {}),
        ...(opts.maxStoreBytes ? { maxStoreBytes: opts.maxStoreBytes } : {}),
        ...(opts.bodyLimit !== undefined ? { bodyLimit: opts.bodyLimit } : {}),
        ...(opts.sessionHours ? { sessionTtlMs: opts.sessionHours * 3_600_000 } : {}),
        ...(opts.retentionDays ? { retentionMs: opts.retentionDays * 86_400_000 } : {}),
      };
      // Workers pay off when a core is left for everything else (the app under test, its upstream): on a small
      // machine the extra processes cost more than they bring, most of all with large bodies (see README).
      const cores = availableParallelism();
      const proxyWorkers = opts.proxyWorkers ?? (cores >= 4 ? Math.min(cores - 1, 4) : 0);
      const headless = await startHeadless({ host: opts.host, port: opts.port, dataDir: opts.dataDir, token: opts.token, tokenFile: opts.tokenFile, allowedHosts: opts.allowedHost, limits, proxyWorkers, forwarder: opts.forwarder });
      // Handlers first: whoever waits for the banner may signal the moment it appears.
      const shutdown = (signal: string) => {
        process.stdout.write(`${signal}: stopping sessions and saving...\n`);
        headless.close().then(
          () => process.exit(0),
          (e: unknown) => {
            process.stderr.write(`error during shutdown: ${(e as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.stdout.write(
        [
          `Traffic Recorder API listening on ${headless.server.url}`,
          `API token: ${headless.token}`,
          `UI: ${headless.uiUrl}`,
          `Data directory: ${headless.dataDir}`,
          `Proxy workers: ${proxyWorkers === 0 ? 'none (sessions run in this process)' : proxyWorkers}`,
          '',
        ].join('\n'),
      );
    });

  const withServer = (cmd: Command) =>
    cmd
      .addOption(new Option('--server <url>', 'server URL').default(DEFAULT_SERVER).env('TRAFFIC_RECORDER_SERVER'))
      .addOption(new Option('--token <token>', 'API token (visible in ps: prefer --token-file or $TRAFFIC_RECORDER_TOKEN)').env('TRAFFIC_RECORDER_TOKEN'))
      .option('--token-file <file>', 'read the API token from this file')
      .option('--json', 'print JSON for scripts');
  const recorder = withServer(program.command('recorder').description('manage recording sessions on a running server'));
  const client = (cmd: Command) => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    // An explicit --token beats the file; the file beats the environment.
    const fromFlag = cmd.getOptionValueSourceWithGlobals('token') === 'cli';
    const token = g.tokenFile && !fromFlag ? readTokenFile(g.tokenFile) : g.token;
    return { api: new RestRecorderClient(g.server, token), json: g.json };
  };

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
    .action(async (opts, cmd: Command) => {
      const { api, json } = client(cmd);
      const input = startInput(opts, cmd);
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

  addMachineCommands(program, withServer, client);
  addStorageCommand(program, withServer, client);
  return program;
}

interface StartOptions {
  config?: string;
  mode: string;
  sessionNamespace: string;
  target?: string;
  port?: number;
  name?: string;
  listenHost?: string;
}

/** The session config of `recorder start`: the --config file, then the flags given on top of it. */
function startInput(opts: StartOptions, cmd: Command): StartSessionInput {
  let input: StartSessionInput = {};
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

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : (err.exitCode ?? 2);
    }
    const message = e instanceof ApiError ? e.message : (err.message ?? String(e));
    process.stderr.write(`traffic-recorder: ${message.split('\n')[0]}\n`);
    return 1;
  }
}
