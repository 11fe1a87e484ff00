/**
 * The README's table of engine options, rendered from the engine configuration's schema (src-shared/engine-config.ts),
 * so the docs cannot drift from it: engine-flags.test.ts checks that the README holds exactly this table.
 * Print it: `node --import tsx src-main/cli/engine-config-doc.ts`.
 */
import { fileURLToPath } from 'node:url';
import { ENGINE_OPTIONS } from '../../src-shared/engine-config.js';

export const DOC_START = '<!-- engine-config:start (rendered from src-shared/engine-config.ts: src-main/cli/engine-config-doc.ts) -->';
export const DOC_END = '<!-- engine-config:end -->';

const cell = (text: string) => text.replaceAll('|', '\\|');

export function engineConfigTable(): string {
  const rows = ENGINE_OPTIONS.map(({ key, doc }) => {
    const flag = doc.flag ? `\`${doc.flag.name}\`` : '';
    return `| \`${key}\` | ${flag} | ${cell(doc.defaultText)} | ${cell(doc.boundsText)} | ${cell(doc.description)} |`;
  });
  return ['| option | `serve` flag | default | bounds | what it does |', '|---|---|---|---|---|', ...rows].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(`${DOC_START}\n${engineConfigTable()}\n${DOC_END}\n`);
