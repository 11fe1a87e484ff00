/** What every benchmark prints and writes at its end: the targets' table, the machine, the JSON result. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';

/** One target of a benchmark: its measured value against the goal. */
export interface Check {
  name: string;
  value: number;
  target: string;
  pass: boolean;
  detail?: string;
}

function shown(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** The Markdown table of the targets. */
export function checksTable(checks: readonly Check[]): string[] {
  const rows = checks.map((c) => `| ${c.name} | ${shown(c.value)}${c.detail ? ` (${c.detail})` : ''} | ${c.target} | ${c.pass ? 'PASS' : '**FAIL**'} |`);
  return ['| check | value | target | result |', '|---|---:|---|---|', ...rows];
}

/** Print the report's lines, then the targets' table. */
export function printReport(lines: readonly string[], checks: readonly Check[]): void {
  process.stdout.write(`${[...lines, '', ...checksTable(checks)].join('\n')}\n`);
}

/** The machine the run measured (the ratios are what count on a shared one). */
export function machineInfo(): { cores: number; cpu: string; loadavgAtEnd: number[] } {
  return { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadavgAtEnd: loadavg() };
}

export function writeResult(file: string, result: unknown, log: (message: string) => void): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${relative(process.cwd(), file) || file}`);
}

/** Say which targets failed (or that all were met): the process's exit code. */
export function exitCodeOf(checks: readonly Check[]): number {
  const failed = checks.filter((c) => !c.pass);
  if (failed.length > 0) {
    process.stderr.write(`\nFAILED targets:\n${failed.map((c) => `  - ${c.name}: ${shown(c.value)} (target ${c.target})`).join('\n')}\n`);
    return 1;
  }
  process.stderr.write('\nAll targets met.\n');
  return 0;
}

/** The options every proxy benchmark takes (parseArgs form): run length, warm-up, the server's Node flags, the result file. */
export function commonBenchOptions(projectRoot: string, resultFile: string) {
  return {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    'server-node-flags': { type: 'string', default: process.env.BENCH_SERVER_NODE_FLAGS ?? '' },
    out: { type: 'string', default: join(projectRoot, 'bench', 'results', resultFile) },
  } as const;
}
