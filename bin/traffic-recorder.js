#!/usr/bin/env node
// Runs the compiled CLI. `npm install` builds it (the package's `prepare` script).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'src-main', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(`traffic-recorder: not built yet (${entry} is missing): run "npm run build" in ${root}\n`);
  process.exit(1);
}
const { main } = await import(pathToFileURL(entry).href);
const code = await main(process.argv);
// `serve` keeps running; everything else exits with its status.
if (process.argv[2] !== 'serve' || code !== 0) process.exitCode = code;
