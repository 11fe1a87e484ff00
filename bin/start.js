#!/usr/bin/env node
// `npm start`: the desktop app where an Electron binary is installed; otherwise the headless server with the
// UI in a browser (an install that could not download Electron, or skipped it, has only the package's files).
// It builds first only when the sources are newer than the last build: `npm run dev` always rebuilds.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { staleReason } from './build-freshness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const BUILT = [join('dist', 'src-main', 'desktop', 'main.js'), join('dist', 'src-main', 'cli', 'main.js'), join('dist', 'renderer', 'index.html')];

/** The Electron executable, or why there is none. Never calls require('electron'): it throws a misleading hint. */
function findElectron() {
  let dir;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { why: 'the electron package is not installed' };
  }
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  let binary;
  try {
    // The package's own lookup: path.txt, written once the binary is unpacked, names it inside dist/.
    binary = join(override || join(dir, 'dist'), readFileSync(join(dir, 'path.txt'), 'utf8').trim());
  } catch {
    return { why: 'no Electron binary is installed (its download was skipped or failed during npm install)' };
  }
  return existsSync(binary) ? { binary } : { why: `no Electron binary is installed (${binary} is missing)` };
}

function buildIfStale() {
  const reason = staleReason(root, BUILT);
  if (!reason) return;
  process.stdout.write(`Traffic Recorder: building first (${reason}); later starts reuse the build until sources change.\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    process.stderr.write(`traffic-recorder: the build failed (${result.error?.message ?? `exit ${result.status}`}): fix the errors above, then run npm start again\n`);
    process.exit(1);
  }
}

buildIfStale();
const electron = findElectron();
if (electron.binary) {
  const child = spawn(electron.binary, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
} else {
  process.stdout.write(`Traffic Recorder: ${electron.why}. Starting the headless server with the UI in your browser: open the UI link below.\n\n`);
  const cli = join(root, 'dist', 'src-main', 'cli', 'main.js');
  if (!existsSync(cli)) {
    process.stderr.write(`traffic-recorder: not built yet (${cli} is missing): run "npm run build"\n`);
    process.exit(1);
  }
  const { main } = await import(pathToFileURL(cli).href);
  const code = await main([process.argv[0], 'traffic-recorder', 'serve', ...process.argv.slice(2)]);
  if (code !== 0) process.exitCode = code;
}
