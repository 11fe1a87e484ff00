import { execFile } from 'node:child_process';
import { OsIntegrationError } from './errors.js';

/** One program invocation: argv only, never a shell line. */
export interface Command {
  file: string;
  args: string[];
  /** Why this command runs, for dry-run listings. */
  note?: string;
  /** A non-zero exit is expected/acceptable (e.g. deleting something that may be absent). */
  allowFailure?: boolean;
  env?: Record<string, string>;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Injectable: tests pass a recorder returning canned outputs; production uses `execFileRunner`. */
export type CommandRunner = (cmd: Command) => Promise<CommandResult>;

/** Runs through child_process.execFile (no shell). Resolves on any exit code; rejects only if it cannot start. */
export const execFileRunner: CommandRunner = (cmd) =>
  new Promise((resolve, reject) => {
    execFile(cmd.file, cmd.args, {
      encoding: 'utf8',
      windowsHide: true,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 10 * 60_000, // elevation prompts wait for a human
      env: cmd.env ? { ...process.env, ...cmd.env } : process.env,
    }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new OsIntegrationError('TOOL_MISSING', `${cmd.file} is not installed or not on PATH`, { command: formatCommand(cmd) }));
        return;
      }
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });

/** POSIX single-quoting; used for display and for the argv inside `sh -c` / `do shell script`. */
export function shQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A copy-pasteable rendering of a command for dry runs and error messages. */
export function formatCommand(cmd: Command): string {
  return [cmd.file, ...cmd.args].map(shQuote).join(' ');
}

/** Runs commands in order; stops at the first failure not marked allowFailure. */
export async function runAll(runner: CommandRunner, cmds: readonly Command[], onFailure: (cmd: Command, res: CommandResult) => Error): Promise<CommandResult[]> {
  const results: CommandResult[] = [];
  for (const cmd of cmds) {
    const res = await runner(cmd);
    results.push(res);
    if (res.code !== 0 && !cmd.allowFailure) throw onFailure(cmd, res);
  }
  return results;
}

export function commandFailed(cmd: Command, res: CommandResult): OsIntegrationError {
  const detail = (res.stderr || res.stdout).trim().split('\n').slice(-3).join(' | ');
  return new OsIntegrationError('COMMAND_FAILED', `${formatCommand(cmd)} exited ${res.code}${detail ? `: ${detail}` : ''}`, {
    command: formatCommand(cmd), exitCode: res.code, stderr: res.stderr,
  });
}
