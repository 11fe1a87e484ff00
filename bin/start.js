#!/usr/bin/env node
// `npm start`: the desktop app where an Electron binary is installed; otherwise the headless server with the
// UI in a browser (installs made with ELECTRON_SKIP_BINARY_DOWNLOAD=1 have no Electron runtime).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const desktopMain = join(root, 'dist', 'src-main', 'desktop', 'main.js');

let electronBinary;
let why;
try {
  electronBinary = require('electron');
  if (typeof electronBinary !== 'string' || !existsSync(electronBinary)) why = 'the Electron package has no binary';
} catch (e) {
  why = `no Electron binary is installed (${String(e.message).split('\n')[0]})`;
}
if (!why && !existsSync(desktopMain)) why = `the desktop shell is not built (${desktopMain} is missing)`;

if (!why) {
  const child = spawn(electronBinary, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
} else {
  process.stdout.write(`Traffic Recorder: ${why}.\nStarting the headless server instead: open the UI link below in your browser.\n\n`);
  const cli = join(root, 'dist', 'src-main', 'cli', 'main.js');
  if (!existsSync(cli)) {
    process.stderr.write(`traffic-recorder: not built yet (${cli} is missing): run "npm run build"\n`);
    process.exit(1);
  }
  const { main } = await import(pathToFileURL(cli).href);
  const code = await main([process.argv[0], 'traffic-recorder', 'serve', ...process.argv.slice(2)]);
  if (code !== 0) process.exitCode = code;
}
