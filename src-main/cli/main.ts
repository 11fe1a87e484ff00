/**
 * `traffic-recorder`: `serve` runs the headless server; `recorder ...` drives a running one over REST.
 * People get tables, scripts get `--json`; any failure is one line on stderr and a non-zero exit.
 */
import { Command, Option } from 'commander';
import { ApiError } from '../../src-shared/errors.js';
import { restRecorderClient } from './rest-client.js';
import { readTokenFile } from '../server/api-token.js';
import { addMachineCommands } from './machine-commands.js';
import { addRecorderCommands } from './recorder-commands.js';
import { addServeCommand } from './serve-command.js';
import { addStorageCommand } from './storage-command.js';

const DEFAULT_SERVER = 'http://127.0.0.1:5770';

interface GlobalOptions {
  server: string;
  token?: string;
  tokenFile?: string;
  json?: boolean;
}

/** The options of every command that talks to a running server. */
function withServer(cmd: Command): Command {
  return cmd
    .addOption(new Option('--server <url>', 'server URL').default(DEFAULT_SERVER).env('TRAFFIC_RECORDER_SERVER'))
    .addOption(new Option('--token <token>', 'API token (visible in ps: prefer --token-file or $TRAFFIC_RECORDER_TOKEN)').env('TRAFFIC_RECORDER_TOKEN'))
    .option('--token-file <file>', 'read the API token from this file')
    .option('--json', 'print JSON for scripts');
}

function client(cmd: Command) {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  // An explicit --token beats the file; the file beats the environment.
  const fromFlag = cmd.getOptionValueSourceWithGlobals('token') === 'cli';
  const token = g.tokenFile && !fromFlag ? readTokenFile(g.tokenFile) : g.token;
  return { api: restRecorderClient(g.server, token), json: g.json };
}

export function buildProgram(): Command {
  const program = new Command('traffic-recorder')
    .description('Record HTTP(S) traffic through local proxy sessions; drive it over REST.')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') });
  addServeCommand(program);
  addRecorderCommands(program, withServer, client);
  addMachineCommands(program, withServer, client);
  addStorageCommand(program, withServer, client);
  return program;
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
