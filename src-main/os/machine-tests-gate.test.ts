/**
 * The tests that change this machine (trust store, system proxy) run only with TRAFFIC_RECORDER_MACHINE_TESTS=1:
 * a developer's `npm test` as root must not install a CA or switch GNOME's proxy. Asks the real vitest which files
 * it would run, with and without the variable.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { ROOT } from '../test-support/child.js';

const execFileAsync = promisify(execFile);
const MACHINE_FILES = ['src-main/os/trust-store/linux.int.test.ts', 'src-main/os/system-proxy/gnome.int.test.ts', 'src-main/server/machine-routes.int.test.ts'];

/** `vitest list --filesOnly` only globs (no test file is imported), in an environment free of this run's vitest. */
async function listedFiles(machineTests: string | undefined): Promise<{ files: string; output: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(VITEST|TRAFFIC_RECORDER_MACHINE_TESTS$)/.test(k)) env[k] = v;
  if (machineTests !== undefined) env.TRAFFIC_RECORDER_MACHINE_TESTS = machineTests;
  const vitest = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const { stdout, stderr } = await execFileAsync(process.execPath, [vitest, 'list', '--filesOnly'], { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 });
  return { files: stdout, output: stdout + stderr };
}

it('leaves the machine-changing tests out unless TRAFFIC_RECORDER_MACHINE_TESTS=1, and says so', async () => {
  const [unset, zero, wanted] = await Promise.all([listedFiles(undefined), listedFiles('0'), listedFiles('1')]);
  for (const off of [unset, zero]) {
    for (const file of MACHINE_FILES) expect(off.files).not.toContain(file);
    expect(off.output).toContain('Skipping the tests that change this machine');
    expect(off.files).toContain('src-main/os/trust-store/trust-store.test.ts');
  }
  for (const file of MACHINE_FILES) expect(wanted.files).toContain(`[machine] ${file}`);
  expect(wanted.output).not.toContain('Skipping the tests that change this machine');
});
