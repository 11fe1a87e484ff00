// Test-only: a CommandRunner that records argv and answers from canned rules.
import type { Command, CommandResult, CommandRunner } from './runner.js';

export type Canned = Partial<CommandResult> | ((cmd: Command) => Partial<CommandResult>);

export interface FakeRunner extends CommandRunner {
  calls: Command[];
  /** argv lines of every call, `file arg1 arg2`, for compact assertions. */
  lines(): string[];
}

/** `rules` maps a prefix of the joined argv (`file a b`) to a canned result; the longest match wins. */
export function fakeRunner(rules: Record<string, Canned> = {}): FakeRunner {
  const calls: Command[] = [];
  // Like a real runner: the call is recorded at once, and whatever goes wrong is a rejection, never a throw.
  const run = ((cmd: Command): Promise<CommandResult> => new Promise((resolve) => {
    calls.push(cmd);
    const line = [cmd.file, ...cmd.args].join(' ');
    const key = Object.keys(rules).filter((k) => line.startsWith(k)).sort((a, b) => b.length - a.length)[0];
    const rule = key === undefined ? {} : rules[key]!;
    const out = typeof rule === 'function' ? rule(cmd) : rule;
    resolve({ code: out.code ?? 0, stdout: out.stdout ?? '', stderr: out.stderr ?? '' });
  })) as FakeRunner;
  run.calls = calls;
  run.lines = () => calls.map((c) => [c.file, ...c.args].join(' '));
  return run;
}
