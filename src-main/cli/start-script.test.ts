/** `npm start` (bin/start.js): builds only when stale, and says plainly when no Electron binary is installed. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordBuild, staleReason, STAMP } from '../../bin/build-freshness.js';
import { ROOT } from '../test-support/child.js';
import { tempDir } from '../test-support/engine.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
async function root(): Promise<string> {
  const dir = await tempDir('tr-start-');
  dirs.push(dir);
  return dir;
}
function write(file: string, text: string, mtimeMs?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  if (mtimeMs !== undefined) fs.utimesSync(file, mtimeMs / 1000, mtimeMs / 1000);
}
const stampAt = (dir: string, ms: number) => write(path.join(dir, STAMP), `${ms}\n`);

describe('build staleness', () => {
  it('is stale without a recorded build, or when a required output is missing', async () => {
    const dir = await root();
    write(path.join(dir, 'src-main', 'a.ts'), 'x', 1_000_000);
    expect(staleReason(dir)).toBe('no completed build recorded');
    stampAt(dir, 2_000_000);
    expect(staleReason(dir)).toBeUndefined();
    expect(staleReason(dir, ['dist/renderer/index.html'])).toBe('dist/renderer/index.html is missing');
  });

  it('is stale once a source anywhere under src-* is newer than the build, not for a test file', async () => {
    const dir = await root();
    write(path.join(dir, 'src-renderer', 'deep', 'view.tsx'), 'x', 1_000_000);
    stampAt(dir, 2_000_000);
    write(path.join(dir, 'src-main', 'x.test.ts'), 'x', 3_000_000);
    expect(staleReason(dir)).toBeUndefined();
    write(path.join(dir, 'src-shared', 'deep', 'more', 'model.ts'), 'x', 3_000_000);
    expect(staleReason(dir)).toBe('sources changed since the last build');
    write(path.join(dir, 'src-shared', 'deep', 'more', 'model.ts'), 'x', 1_500_000);
    write(path.join(dir, 'package.json'), '{}', 3_000_000);
    expect(staleReason(dir)).toBe('sources changed since the last build');
  });

  it('counts a file saved while the build ran as newer than the build', async () => {
    const dir = await root();
    write(path.join(dir, 'src-main', 'a.ts'), 'x', Date.now() - 60_000);
    recordBuild(dir, 'begin');
    expect(staleReason(dir)).toBe('no completed build recorded');
    write(path.join(dir, 'src-main', 'a.ts'), 'y', Date.now() + 1_000);
    recordBuild(dir, 'done');
    expect(staleReason(dir)).toBe('sources changed since the last build');
  });
});

/** A package root with the real bin/ scripts, a stand-in CLI and a stand-in build. */
async function fakeInstall(): Promise<string> {
  const dir = await root();
  for (const name of ['start.js', 'build-freshness.js']) write(path.join(dir, 'bin', name), fs.readFileSync(path.join(ROOT, 'bin', name), 'utf8'));
  const build = `node bin/build-freshness.js begin && node -e "require('fs').writeFileSync('built-marker', 'yes')" && node bin/build-freshness.js done`;
  write(path.join(dir, 'package.json'), JSON.stringify({ name: 'fake', type: 'module', scripts: { build } }), Date.now() - 60_000);
  write(path.join(dir, 'src-main', 'a.ts'), 'x', Date.now() - 60_000);
  write(path.join(dir, 'dist', 'src-main', 'cli', 'main.js'), `export async function main(argv) { console.log('fake serve:', argv.slice(2).join(' ')); return 0; }\n`);
  write(path.join(dir, 'dist', 'src-main', 'desktop', 'main.js'), '');
  write(path.join(dir, 'dist', 'renderer', 'index.html'), '');
  write(path.join(dir, 'node_modules', 'electron', 'package.json'), JSON.stringify({ name: 'electron', version: '41.7.1' }));
  stampAt(dir, Date.now() - 30_000);
  return dir;
}

function runStart(dir: string, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.ELECTRON_OVERRIDE_DIST_PATH;
    const child = spawn(process.execPath, [path.join(dir, 'bin', 'start.js'), ...args], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('bin/start.js', () => {
  it('says plainly that no Electron binary is installed and starts the headless server, without building', async () => {
    const dir = await fakeInstall();
    const run = await runStart(dir, ['--port', '0']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(
      'Traffic Recorder: no Electron binary is installed (its download was skipped or failed during npm install). Starting the headless server with the UI in your browser: open the UI link below.',
    );
    expect(run.stdout).not.toMatch(/failed to install correctly|delete node_modules/);
    expect(run.stdout).toContain('fake serve: serve --port 0');
    expect(fs.existsSync(path.join(dir, 'built-marker'))).toBe(false);
  });

  it('says so when the electron package itself is absent', async () => {
    const dir = await fakeInstall();
    fs.rmSync(path.join(dir, 'node_modules'), { recursive: true });
    const run = await runStart(dir);
    expect(run.stdout.split('\n')[0]).toMatch(/^Traffic Recorder: the electron package is not installed\. Starting the headless server/);
  });

  it('builds first when the sources are newer than the last build, and not on the next start', async () => {
    const dir = await fakeInstall();
    write(path.join(dir, 'src-main', 'a.ts'), 'changed');
    const first = await runStart(dir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.split('\n')[0]).toBe('Traffic Recorder: building first (sources changed since the last build); later starts reuse the build until sources change.');
    expect(fs.readFileSync(path.join(dir, 'built-marker'), 'utf8')).toBe('yes');
    fs.rmSync(path.join(dir, 'built-marker'));
    const second = await runStart(dir);
    expect(second.stdout).not.toContain('building first');
    expect(fs.existsSync(path.join(dir, 'built-marker'))).toBe(false);
  });

  it('runs the Electron binary where one is installed', async () => {
    const dir = await fakeInstall();
    const electronDir = path.join(dir, 'node_modules', 'electron');
    write(path.join(electronDir, 'path.txt'), 'electron');
    write(path.join(electronDir, 'dist', 'electron'), '#!/bin/sh\necho "fake electron: $*"\n');
    fs.chmodSync(path.join(electronDir, 'dist', 'electron'), 0o755);
    const run = await runStart(dir, ['--flag']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`fake electron: ${dir} --flag\n`);
  });
});
