/** The desktop's engine-config.json: read through the engine configuration schema, handed to the engine process. */
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultEngineConfig } from '../../src-shared/engine-config.js';
import { tempDir } from '../test-support/engine.js';
import { ENGINE_CONFIG_FILE, engineConfigFromArgs, readEngineConfigFile } from './engine-config-file.js';
import { DATA_DIR_FLAG } from './engine-protocol.js';
import { openDesktopEngine } from './engine-runtime.js';
import { createEngineHost, engineProcessArgs } from './engine-setup.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function dataDirWith(text?: string): Promise<string> {
  const dir = await tempDir('tr-engine-config-');
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  if (text !== undefined) await fs.writeFile(path.join(dir, ENGINE_CONFIG_FILE), text);
  return dir;
}

function read(dir: string): { config: ReturnType<typeof readEngineConfigFile>; warnings: string[] } {
  const warnings: string[] = [];
  return { config: readEngineConfigFile(dir, (m) => warnings.push(m)), warnings };
}

describe('engine-config.json', () => {
  it('absent: the defaults, silently', async () => {
    expect(read(await dataDirWith())).toEqual({ config: defaultEngineConfig(), warnings: [] });
  });

  it('present: its options over the defaults, sizes in words included', async () => {
    const dir = await dataDirWith(JSON.stringify({ limits: { maxEntriesPerSession: 5000, maxStoreBytes: '8GiB' }, streamIntervalMs: 25 }));
    const { config, warnings } = read(dir);
    expect(warnings).toEqual([]);
    expect(config.limits).toEqual({ ...defaultEngineConfig().limits, maxEntriesPerSession: 5000, maxStoreBytes: 8 * 1024 ** 3 });
    expect(config.streamIntervalMs).toBe(25);
  });

  it('invalid: one warning naming the file and the field, and the defaults', async () => {
    for (const [text, words] of [
      ['{"limits": {"maxSessions": 901}}', 'limits.maxSessions: must be at most 900'],
      ['{"limits": {"maxStoreBytes": "8M"}}', 'limits.maxStoreBytes: must be at least 16 MiB, got 8 MiB'],
      ['{"limit": {}}', 'unknown field limit'],
      ['{"limits": {', 'not valid JSON'],
      ['[]', 'body: expected a JSON object'],
    ] as const) {
      const dir = await dataDirWith(text);
      const { config, warnings } = read(dir);
      expect(config).toEqual(defaultEngineConfig());
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(path.join(dir, ENGINE_CONFIG_FILE));
      expect(warnings[0]).toContain(words);
      expect(warnings[0]).toContain('the engine starts with the default settings');
    }
  });

  it('says that proxy workers are a serve option, and keeps the rest', async () => {
    const { config, warnings } = read(await dataDirWith('{"proxyWorkers": 2, "limits": {"maxSessions": 4}}'));
    expect(config.limits.maxSessions).toBe(4);
    expect(warnings).toEqual([expect.stringContaining('proxyWorkers is a `serve` option')]);
  });

  it("travels to the engine process on its command line, and the engine runs with it", async () => {
    const dir = await dataDirWith('{"limits": {"maxSessions": 2, "sessionTtlMs": 7200000}}');
    const forked: string[][] = [];
    const host = createEngineHost({
      mode: 'utility',
      dataDir: dir,
      utilityProcess: {
        fork: (_module: string, args?: string[]) => {
          forked.push(args ?? []);
          // A child that is ready at once and exits when killed: enough for the host to start and stop.
          const child = Object.assign(new EventEmitter(), { postMessage: () => undefined, kill: () => (child.emit('exit', 0), true) });
          setImmediate(() => child.emit('message', { kind: 'ready' }));
          return child;
        },
      },
      onRestart: () => undefined,
      onGiveUp: () => undefined,
    });
    await host.start();
    const [args] = forked;
    expect(args![0]).toBe(`${DATA_DIR_FLAG}${dir}`);
    const passed = engineConfigFromArgs(args!);
    expect(passed.limits).toMatchObject({ maxSessions: 2, sessionTtlMs: 7_200_000 });
    expect(engineConfigFromArgs([])).toEqual(defaultEngineConfig());
    expect(engineProcessArgs(dir, passed)).toEqual(args);

    // What engine-process.ts does with it: the engine runs with those limits (and its proxies in process).
    const opened = await openDesktopEngine({ ...passed, dataDir: dir, sweepIntervalMs: 0 });
    cleanups.push(() => opened.close());
    expect(opened.recorder.limits.maxSessions).toBe(2);
    expect(opened.recorder.limits.sessionTtlMs).toBe(7_200_000);
  });
});
