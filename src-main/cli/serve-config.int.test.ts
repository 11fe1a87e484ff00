/** `serve` flags generated from the engine configuration reach the engine; the removed `--forwarder` is explained. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, spawnServe, type ServeProcess } from '../test-support/child.js';
import { startUpstream, type Upstream } from '../test-support/upstream.js';

const TOKEN = 'serve-config-token-0123';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tr-serve-config-'));
let serve: ServeProcess | undefined;
let pooled: ServeProcess | undefined;
let upstream: Upstream | undefined;
afterAll(async () => {
  await serve?.stop();
  await pooled?.stop();
  await upstream?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const call = async (method: string, route: string, body?: unknown, server = serve!) => {
  const res = await fetch(`${server.url}/api/v1/recorder${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
};

describe('serve engine options', () => {
  it('refuses --forwarder mockttp saying it is gone, before starting anything', async () => {
    const result = await runCli(['serve', '--port', '0', '--data-dir', dataDir, '--token', TOKEN, '--forwarder', 'mockttp']);
    expect(result.code).not.toBe(0);
    expect(result.stdout).not.toMatch(/API listening/);
    expect(result.stderr).toMatch(/the mockttp forwarder was removed: .*drop --forwarder/);
  });

  it('runs with --max-sessions 1 --session-hours 2, and takes --forwarder direct with a deprecation warning', async () => {
    upstream = await startUpstream();
    serve = await spawnServe(['--data-dir', dataDir, '--token', TOKEN, '--proxy-workers', '0', '--max-sessions', '1', '--session-hours', '2', '--forwarder', 'direct']);
    expect(serve.output()).toMatch(/warning: --forwarder is deprecated/);
    expect(serve.output()).toMatch(/Proxy workers: none/);
    const first = await call('POST', '/start', { targetUrl: upstream.url });
    expect(first.status).toBe(201);
    const { startedAt, expiresAt } = first.json.session as { startedAt: string; expiresAt: string };
    expect(Date.parse(expiresAt) - Date.parse(startedAt)).toBe(2 * 3_600_000);
    const second = await call('POST', '/start', { targetUrl: upstream.url });
    expect(second.status).toBeGreaterThanOrEqual(400);
    expect(second.json.error).toBe('at most 1 sessions may run at once; stop one first');
  });

  it('hands its limits to proxy workers too: --proxy-workers 1 --body-limit 4 keeps 4 bytes of a body recorded in the worker', async () => {
    upstream ??= await startUpstream();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tr-serve-config-pool-'));
    try {
      pooled = await spawnServe(['--data-dir', dir, '--token', TOKEN, '--proxy-workers', '1', '--body-limit', '4']);
      expect(pooled.output()).toMatch(/Proxy workers: 1\n/);
      const { json } = await call('POST', '/start', { targetUrl: upstream.url }, pooled);
      const id = (json.session as { id: string; proxyUrl: string }).id;
      await (await fetch(`${(json.session as { proxyUrl: string }).proxyUrl}/echo`, { method: 'POST', body: 'abcdefghij' })).text();
      await expect
        .poll(async () => ((await call('GET', `/${id}/entries`, undefined, pooled)).json.entries as unknown[]).length, { timeout: 10_000 })
        .toBe(1);
      const [entry] = (await call('GET', `/${id}/entries`, undefined, pooled)).json.entries as Array<{ request: { body: { size: number; capturedSize: number; truncated: boolean } } }>;
      expect(entry!.request.body).toMatchObject({ size: 10, capturedSize: 4, truncated: true });
    } finally {
      await pooled?.stop();
      pooled = undefined;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
