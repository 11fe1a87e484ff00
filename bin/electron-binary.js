#!/usr/bin/env node
// `npm install`'s postinstall: fetch the Electron binary for the desktop app, where it can be fetched. The
// electron package's own install script is denied in package.json (allowScripts), because where the download
// fails (no route out, a proxy, an air-gapped lab) it fails the whole install and npm leaves no node_modules.
// Here a failed download is a notice: the install goes on and `npm start` runs the headless server instead.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HEADLESS = '`npm start` will run the headless server with the UI in your browser';

function note(text) {
  process.stdout.write(`traffic-recorder: ${text}\n`);
}

let installScript;
try {
  installScript = join(dirname(createRequire(join(root, 'package.json')).resolve('electron/package.json')), 'install.js');
} catch {
  note(`the electron package is not installed (e.g. --omit=dev): ${HEADLESS}.`);
  process.exit(0);
}
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  note(`ELECTRON_SKIP_BINARY_DOWNLOAD is set, no Electron binary downloaded: ${HEADLESS}.`);
  process.exit(0);
}

const child = spawn(process.execPath, [installScript], { cwd: dirname(installScript), stdio: ['ignore', 'inherit', 'pipe'] });
let stderr = '';
child.stderr.on('data', (d) => (stderr += d.toString()));
child.on('error', (e) => finish(e.message));
child.on('exit', (code, signal) => finish(code === 0 ? undefined : signal ? `killed by ${signal}` : firstLine(stderr) || `exit ${code}`));

function firstLine(text) {
  return text.split('\n').map((l) => l.trim()).find(Boolean);
}

function finish(failure) {
  if (failure === undefined) return note('Electron binary installed: `npm start` opens the desktop app.');
  note(`no Electron binary could be downloaded (${failure}); the install goes on: ${HEADLESS}.`);
  note(`to add the desktop app later, where the download works: node ${installScript}`);
}
