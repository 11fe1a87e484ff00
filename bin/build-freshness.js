// Is dist/ older than the sources? `npm start` builds only then (a full build takes most of a minute), and
// `npm run build` records when it began, so that a file saved while it ran still counts as newer.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the build reads: sources (tests excluded: they are not built) and the configs that shape the output. */
export const SOURCE_DIRS = ['src-main', 'src-shared', 'src-preload', 'src-renderer'];
export const SOURCE_FILES = ['package.json', 'package-lock.json', 'tsconfig.base.json', 'tsconfig.build.json', 'tsconfig.node.json', 'vite.renderer.config.ts'];
export const STAMP = path.join('dist', '.build-stamp');
const STARTED = path.join('dist', '.build-started');

const isTestFile = (name) => /\.test\.tsx?$/.test(name);

/** The newest modification time (ms) of any build input under root, 0 when there is none. */
export function newestSourceMtime(root) {
  let newest = 0;
  const visit = (file) => {
    let stat;
    try {
      stat = fs.statSync(file);
    } catch {
      return; // absent (or removed while we looked): nothing to build from
    }
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(file)) if (name !== 'node_modules' && !isTestFile(name)) visit(path.join(file, name));
    } else if (stat.mtimeMs > newest) newest = stat.mtimeMs;
  };
  for (const dir of SOURCE_DIRS) visit(path.join(root, dir));
  for (const file of SOURCE_FILES) visit(path.join(root, file));
  return newest;
}

/** Why dist/ must be rebuilt, or undefined when it is up to date. */
export function staleReason(root, required = []) {
  const missing = required.find((file) => !fs.existsSync(path.join(root, file)));
  if (missing) return `${missing} is missing`;
  let builtAt;
  try {
    builtAt = Number(fs.readFileSync(path.join(root, STAMP), 'utf8').trim());
  } catch {
    return 'no completed build recorded';
  }
  if (!Number.isFinite(builtAt)) return `${STAMP} is unreadable`;
  return newestSourceMtime(root) > builtAt ? 'sources changed since the last build' : undefined;
}

/** `build-freshness.js begin` before a build and `done` after it succeeded. */
export function recordBuild(root, phase) {
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  if (phase === 'begin') {
    fs.rmSync(path.join(root, STAMP), { force: true });
    fs.writeFileSync(path.join(root, STARTED), `${Date.now()}\n`);
  } else if (phase === 'done') {
    fs.renameSync(path.join(root, STARTED), path.join(root, STAMP));
  } else {
    throw new Error(`build-freshness: unknown phase ${phase} (begin | done)`);
  }
}

const invokedAs = process.argv[1] && path.resolve(process.argv[1]);
if (invokedAs && invokedAs === fileURLToPath(import.meta.url)) {
  recordBuild(process.cwd(), process.argv[2]);
}
