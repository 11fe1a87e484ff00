/** `serve --max-store-bytes / --max-total-entries / --max-entries`: bad values are refused in words, good ones reach the store. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, spawnServe, type ServeProcess } from '../test-support/child.js';
import { parseByteSize } from './size-arg.js';

const TOKEN = 'serve-budgets-token-0123';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tr-serve-budgets-'));
let serve: ServeProcess | undefined;
afterAll(async () => {
  await serve?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function refused(args: string[]): Promise<string> {
  const result = await runCli(['serve', '--port', '0', '--data-dir', dataDir, '--token', TOKEN, ...args]);
  expect(result.code).not.toBe(0);
  expect(result.stdout).not.toMatch(/API listening/);
  return result.stderr;
}

describe('serve budgets', () => {
  it('reads sizes as people write them', () => {
    expect(parseByteSize('500M')).toBe(500 * 1024 ** 2);
    expect(parseByteSize('2G')).toBe(2 * 1024 ** 3);
    expect(parseByteSize('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseByteSize('64mb')).toBe(64 * 1024 ** 2);
    expect(parseByteSize('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize('16777216')).toBe(16 * 1024 ** 2);
    for (const bad of ['1x', '', 'M', '12iB', '-5M', '2 GiB extra']) expect(parseByteSize(bad)).toBeUndefined();
  });

  it('refuses a size it cannot read, one below 16 MiB, no total entries, and a per-session limit past 1,000,000', async () => {
    expect(await refused(['--max-store-bytes', '1x'])).toMatch(/--max-store-bytes must be a size such as 500M, 2G, 2GiB or a number of bytes, got "1x"/);
    expect(await refused(['--max-store-bytes', '8M'])).toMatch(/--max-store-bytes must be at least 16 MiB, got 8 MiB/);
    expect(await refused(['--max-total-entries', '0'])).toMatch(/--max-total-entries must be an integer from 1 to/);
    expect(await refused(['--max-entries', '1000001'])).toMatch(/--max-entries must be an integer from 1 to 1000000/);
  });

  it('passes --max-store-bytes 64M and --max-total-entries to the store: GET /storage shows them as the budgets', async () => {
    serve = await spawnServe(['--data-dir', dataDir, '--token', TOKEN, '--proxy-workers', '0', '--max-store-bytes', '64M', '--max-total-entries', '5000']);
    const res = await fetch(`${serve.url}/api/v1/recorder/storage`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const { storage } = (await res.json()) as { storage: { usage: { maxBytes: number; maxEntries: number } } };
    expect(storage.usage.maxBytes).toBe(64 * 1024 * 1024);
    expect(storage.usage.maxEntries).toBe(5000);
  });
});
