/** Filters decide what is recorded, never what is forwarded: every request still reaches the upstream. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { curl } from '../../test-support/curl.js';
import { startEngine, type TestEngine } from '../../test-support/engine.js';
import { startUpstream, type Upstream } from '../../test-support/upstream.js';

let engine: TestEngine;
let upstream: Upstream;
beforeAll(async () => {
  engine = await startEngine();
  upstream = await startUpstream();
});
afterAll(async () => {
  await engine?.close();
  await upstream?.close();
});

it('records only in-scope exchanges in reverse mode and forwards all of them', async () => {
  const { session } = await engine.recorder.startSession({
    targetUrl: upstream.url,
    filters: { includePaths: ['/api/*', '/status/*'], excludePaths: ['/api/health'], includeMethods: ['GET', 'POST'], excludeStatus: [204] },
  });
  const calls: Array<[string[], number]> = [
    [[`${session.proxyUrl}/api/users`], 200],
    [[`${session.proxyUrl}/api/health`], 200],
    [[`${session.proxyUrl}/other`], 200],
    [['-X', 'DELETE', `${session.proxyUrl}/api/users`], 200],
    [['-X', 'POST', '-d', 'x', `${session.proxyUrl}/api/orders`], 200],
    [[`${session.proxyUrl}/status/204`], 204],
    [[`${session.proxyUrl}/status/404`], 404],
  ];
  for (const [args, status] of calls) expect((await curl(args)).status).toBe(status);
  expect(upstream.requests).toHaveLength(calls.length);
  await new Promise((r) => setTimeout(r, 150));
  const { entries } = await engine.recorder.listEntries({ id: session.id });
  expect(entries.map((e) => `${e.request.method} ${new URL(e.request.url).pathname}`)).toEqual([
    'GET /api/users',
    'POST /api/orders',
    'GET /status/404',
  ]);
});

it('filters hosts in forward mode, including blind tunnels', async () => {
  const { session } = await engine.recorder.startSession({ mode: 'forward', filters: { excludeHosts: ['127.0.0.*'] } });
  expect((await curl(['-x', session.proxyUrl, `${upstream.url}/json`])).status).toBe(200);
  expect((await curl(['-x', session.proxyUrl, `http://localhost:${upstream.port}/json`])).status).toBe(200);
  await new Promise((r) => setTimeout(r, 150));
  const { entries } = await engine.recorder.listEntries({ id: session.id });
  expect(entries.map((e) => e.request.url)).toEqual([`http://localhost:${upstream.port}/json`]);
});
