/**
 * `traffic-recorder serve`: the headless server. Its own options (address, port, data dir, token, allowed Host
 * names) are written here; the engine's come from the engine configuration's schema (engine-flags.ts).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Headless } from '../server/headless.js';
import { intArg } from './cli-support.js';
import { addEngineFlags } from './engine-flags.js';

interface ServerOptions {
  host: string;
  port: number;
  dataDir?: string;
  token?: string;
  tokenFile?: string;
  allowedHost?: string[];
  forwarder?: 'direct';
}

/** `--forwarder mockttp` is gone (every exchange runs the pipeline on our forwarder); `direct` is accepted, and said to be redundant. */
function forwarderArg(value: string): 'direct' {
  if (value === 'direct') return value;
  if (value === 'mockttp') {
    throw new InvalidArgumentError(
      "the mockttp forwarder was removed: every request goes upstream through Traffic Recorder's own forwarder, which runs every pipeline stage (mockttp's passthrough skipped the body and response-head ones); drop --forwarder",
    );
  }
  throw new InvalidArgumentError('"direct" is the only forwarder (and the default); drop --forwarder');
}

export function addServeCommand(program: Command): void {
  const serve = program
    .command('serve')
    .description('run the headless server: REST API, WebSocket stream and the UI in a browser')
    .option('--host <host>', 'address to bind (use 0.0.0.0 to reach it from other machines)', '127.0.0.1')
    .option('--port <port>', 'API port (0 = any free port)', intArg('--port', 0, 65535), 5770)
    .option('--data-dir <dir>', 'where sessions, entries and the token live (default: per-OS app data, or $TRAFFIC_RECORDER_DATA_DIR)')
    .option('--token <token>', 'API token; visible to other users in ps: prefer --token-file or $TRAFFIC_RECORDER_TOKEN')
    .option('--token-file <file>', 'read the API token from this file (default: $TRAFFIC_RECORDER_TOKEN, or generated once and kept in the data dir)')
    .option('--allowed-host <name...>', 'extra Host names to accept, e.g. when behind a reverse proxy');
  const engineConfig = addEngineFlags(serve);
  serve.addOption(new Option('--forwarder <name>', 'deprecated: only "direct" is left, and it is the default').argParser(forwarderArg).hideHelp());
  serve.action(async (opts: ServerOptions & Record<string, unknown>) => {
    if (opts.token && opts.tokenFile) throw new Error('give --token or --token-file, not both');
    if (opts.token) process.stderr.write('warning: --token is visible to every user of this machine (ps); prefer --token-file FILE or $TRAFFIC_RECORDER_TOKEN\n');
    if (opts.forwarder) process.stderr.write('warning: --forwarder is deprecated: "direct" is the only forwarder left; drop the flag\n');
    const { startHeadless } = await import('../server/headless.js');
    const headless = await startHeadless({
      host: opts.host,
      port: opts.port,
      dataDir: opts.dataDir,
      token: opts.token,
      tokenFile: opts.tokenFile,
      allowedHosts: opts.allowedHost,
      ...engineConfig(opts),
    });
    closeOnSignals(headless);
    process.stdout.write(banner(headless));
  });
}

/** Handlers first: whoever waits for the banner may signal the moment it appears. */
function closeOnSignals(headless: Headless): void {
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
}

function banner(headless: Headless): string {
  return [
    `Traffic Recorder API listening on ${headless.server.url}`,
    `API token: ${headless.token}`,
    `UI: ${headless.uiUrl}`,
    `Data directory: ${headless.dataDir}`,
    `Proxy workers: ${headless.proxyWorkers === 0 ? 'none (sessions run in this process)' : headless.proxyWorkers}`,
    '',
  ].join('\n');
}
