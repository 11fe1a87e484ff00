import { formatCommand, type Command, type CommandResult } from './runner.js';

export type OsPlatform = 'linux' | 'darwin' | 'win32';

/** POSIX script for a command sequence; allowFailure commands cannot abort it. */
export function shScript(cmds: readonly Command[]): string {
  return cmds.map((c) => (c.allowFailure ? `{ ${formatCommand(c)} || true; }` : formatCommand(c))).join(' && ');
}

/** AppleScript string literal escaping (backslash and double quote). */
export function appleScriptString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Quotes one argument the way CommandLineToArgvW / the MS C runtime parse it back. */
export function winQuoteArg(arg: string): string {
  if (arg.length > 0 && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++;
      continue;
    }
    out += ch === '"' ? '\\'.repeat(backslashes * 2 + 1) + '"' : '\\'.repeat(backslashes) + ch;
    backslashes = 0;
  }
  return `${out}${'\\'.repeat(backslashes * 2)}"`;
}

export function psQuote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** ERROR_CANCELLED: what our UAC wrapper exits with when the prompt is refused. */
export const WIN_ERROR_CANCELLED = 1223;

/**
 * Wraps a command sequence so it runs with administrator rights behind ONE prompt:
 * Linux `pkexec` (a single command directly, several through `/bin/sh -c`), macOS osascript
 * `do shell script ... with administrator privileges`, Windows PowerShell `Start-Process -Verb RunAs`.
 */
export function elevate(platform: OsPlatform, cmds: readonly Command[]): Command {
  if (cmds.length === 0) throw new Error('nothing to elevate');
  const note = cmds.map((c) => c.note).filter(Boolean).join('; ') || undefined;
  switch (platform) {
    case 'linux': {
      const only = cmds.length === 1 ? cmds[0]! : undefined;
      if (only && !only.allowFailure) return { file: 'pkexec', args: [only.file, ...only.args], note };
      return { file: 'pkexec', args: ['/bin/sh', '-c', shScript(cmds)], note };
    }
    case 'darwin':
      return {
        file: 'osascript',
        args: ['-e', `do shell script ${appleScriptString(shScript(cmds))} with administrator privileges`],
        note,
      };
    case 'win32': {
      const only = cmds.length === 1 ? cmds[0]! : undefined;
      const [file, argLine] = only && !only.allowFailure
        ? [only.file, only.args.map(winQuoteArg).join(' ')]
        : ['cmd.exe', `/d /s /c "${cmds.map((c) => {
          const line = [c.file, ...c.args].map(winQuoteArg).join(' ');
          return c.allowFailure ? `(${line} || ver>nul)` : line; // `ver` resets errorlevel to 0
        }).join(' && ')}"`];
      const script = `try { $p = Start-Process -FilePath ${psQuote(file)} -ArgumentList ${psQuote(argLine)} `
        + `-Verb RunAs -Wait -PassThru -WindowStyle Hidden; exit $p.ExitCode } catch { exit ${WIN_ERROR_CANCELLED} }`;
      return { file: 'powershell.exe', args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', script], note };
    }
  }
}

/** Did the user refuse (or fail) the elevation prompt, as opposed to the command itself failing? */
export function isElevationRefused(platform: OsPlatform, res: CommandResult): boolean {
  if (res.code === 0) return false;
  const text = `${res.stdout}\n${res.stderr}`;
  switch (platform) {
    // pkexec: 126 = dialog dismissed / not authorized, 127 = authentication failed or no agent.
    case 'linux': return res.code === 126 || res.code === 127;
    // osascript: "User canceled. (-128)"; `security` trust prompts: "The authorization was canceled by the user."
    case 'darwin': return /\(-128\)/.test(text) || /canceled by the user/i.test(text);
    // Our UAC wrapper exits 1223; certutil's own Root-store confirmation dialog reports 0x800704c7.
    case 'win32': return res.code === WIN_ERROR_CANCELLED || /0x800704c7|canceled by the user|cancelled by the user/i.test(text);
  }
}

export function currentPlatform(): OsPlatform {
  const p = process.platform;
  if (p === 'linux' || p === 'darwin' || p === 'win32') return p;
  throw new Error(`unsupported platform ${p}`);
}
