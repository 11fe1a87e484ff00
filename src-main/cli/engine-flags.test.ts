/** The serve command's engine flags come from the schema, and so does the README's table of options. */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { ENGINE_OPTIONS, parseEngineConfig } from '../../src-shared/engine-config.js';
import { DEFAULT_MAX_STORE_BYTES, DEFAULT_MAX_TOTAL_ENTRIES } from '../engine/store/store-types.js';
import { ROOT } from '../test-support/child.js';
import { DOC_END, DOC_START, engineConfigTable } from './engine-config-doc.js';
import { addEngineFlags } from './engine-flags.js';
import { buildProgram } from './main.js';

function serveLike() {
  const cmd = new Command('serve').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  const read = addEngineFlags(cmd);
  return { cmd, parse: (args: string[]) => (cmd.parse(args, { from: 'user' }), read(cmd.opts())) };
}

describe('serve engine flags', () => {
  it('has a flag for every option that declares one, in serve --help with its default and bounds', () => {
    const serve = buildProgram().commands.find((c) => c.name() === 'serve')!;
    const help = serve.helpInformation();
    const flagged = ENGINE_OPTIONS.filter((o) => o.doc.flag);
    expect(flagged.length).toBeGreaterThanOrEqual(15);
    for (const { doc } of flagged) {
      expect(serve.options.map((o) => o.long)).toContain(doc.flag!.name);
      expect(help).toContain(doc.flag!.name);
    }
    expect(help.replace(/\s+/g, ' ')).toContain('--max-store-bytes <size> disk space the store may take: 500M, 2G, 2GiB or bytes (evicted like the total entries) (default: 2 GiB; at least 16 MiB)');
    // Gone, but an old command line still gets a word about it rather than "unknown option".
    expect(help).not.toContain('--forwarder');
  });

  it('reads the given flags back as configuration in its own units, and nothing else', () => {
    const { parse } = serveLike();
    const config = parse(['--max-sessions', '5', '--session-hours', '2', '--max-store-bytes', '64M', '--body-limit', '0', '--proxy-workers', 'auto', '--loopback-only', '--request-timeout-ms', '0']);
    expect(config).toEqual({
      limits: { maxSessions: 5, sessionTtlMs: 2 * 3_600_000, maxStoreBytes: 64 * 1024 ** 2, bodyLimit: 0, requestTimeoutMs: 0 },
      proxyWorkers: 'auto',
      loopbackOnly: true,
    });
    expect(parseEngineConfig(config).limits.maxEntriesPerSession).toBe(1000);
    expect(serveLike().parse([])).toEqual({});
  });

  it('refuses a bad value naming the flag', () => {
    const refusal = (args: string[]) => {
      try {
        serveLike().parse(args);
      } catch (e) {
        if (e instanceof CommanderError) return e.message;
        throw e;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal(['--max-entries', '1000001'])).toMatch(/--max-entries must be an integer from 1 to 1000000/);
    expect(refusal(['--retention-days', '0'])).toMatch(/--retention-days must be an integer from 1 to 3650/);
    expect(refusal(['--max-store-bytes', '8M'])).toMatch(/--max-store-bytes must be at least 16 MiB, got 8 MiB/);
    expect(refusal(['--keep-alive-timeout-ms', '0'])).toMatch(/--keep-alive-timeout-ms must be an integer from 1 to 3600000/);
  });

  it("the store's own fallbacks agree with the schema's defaults", () => {
    const limits = parseEngineConfig({}).limits;
    expect([limits.maxTotalEntries, limits.maxStoreBytes]).toEqual([DEFAULT_MAX_TOTAL_ENTRIES, DEFAULT_MAX_STORE_BYTES]);
  });

  it("the README's table of engine options is the one rendered from the schema", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf(DOC_START);
    const end = readme.indexOf(DOC_END);
    expect(start, 'README.md lacks the engine options table').toBeGreaterThan(0);
    const inReadme = readme.slice(start + DOC_START.length, end).trim();
    // On a mismatch: `node --import tsx src-main/cli/engine-config-doc.ts` prints the table to paste.
    expect(inReadme).toBe(engineConfigTable());
  });
});
