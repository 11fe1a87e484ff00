/**
 * A slow body replacement must not freeze the proxy: a pathological regex on an 8 MiB body, while other requests go
 * through the same session proxy and the API answers. Judged against what was measured in the same run: the small
 * requests' latency while idle, and how long the big response itself took (what a small request would have waited
 * behind it had the rules run on the event loop). The big body passes through unchanged past the time budget, and
 * its entry says which rule ran out of time.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test-support/server.js';
import { startHandlerUpstream } from '../../test-support/upstream.js';
import { entriesOf, entryFor, startSession, timedRequest } from './toxics-test-support.js';
import { DEFAULT_REPLACE_BUDGET_MS } from './modify-pool.js';

const BIG = 8 * 1024 * 1024;
let server: TestServer;
let upstream: Awaited<ReturnType<typeof startHandlerUpstream>>;
let upstreamUrl: string;

beforeAll(async () => {
  server = await startTestServer();
  const big = Buffer.from(`${'a'.repeat(BIG - 1)}b`);
  upstream = await startHandlerUpstream((req, res) => {
    req.resume();
    const body = req.url === '/big' ? big : Buffer.from(JSON.stringify({ small: true, url: req.url }));
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
  upstreamUrl = upstream.url;
});

afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

const ms = (t: { startedAt: number; endedAt: number }) => t.endedAt - t.startedAt;
const fmt = (list: number[]) => `max ${Math.max(...list).toFixed(1)} ms, median ${[...list].sort((a, b) => a - b)[list.length >> 1]!.toFixed(1)} ms`;

const RULES = 12;

describe('body replacements and the event loop', () => {
  it('answers other requests promptly while a pathological regex runs on an 8 MiB body, which passes unchanged past the budget', async () => {
    const pathological = { match: '(a+)+$', replace: 'X', isRegex: true };
    // 1.2 s (a quiet machine) to 5 s (a loaded one) each on 8 MiB: twelve are far past the budget on any of them.
    const session = await startSession(server, { targetUrl: upstreamUrl, modifications: { bodyReplacements: Array.from({ length: RULES }, () => pathological) } });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

    const idle: number[] = [];
    for (let i = 0; i < 20; i++) idle.push(ms(await timedRequest(session.proxyUrl, `/small?idle=${i}`, { agent })));

    let bigDone = false;
    const big = timedRequest(session.proxyUrl, '/big').finally(() => (bigDone = true));
    // Until the big body has arrived whole and its rules are under way.
    await new Promise((r) => setTimeout(r, 500));
    const during: number[] = [];
    const api: number[] = [];
    while (!bigDone) {
      const small = await timedRequest(session.proxyUrl, `/small?during=${during.length}`, { agent });
      expect(small.status).toBe(200);
      during.push(ms(small));
      const started = performance.now();
      expect((await server.call('GET', `/${session.id}`)).status).toBe(200);
      api.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 20));
    }
    const answer = await big;
    const bigMs = ms(answer);
    console.log(`8 MiB body, ${RULES} × (a+)+$: answered after ${bigMs.toFixed(0)} ms (budget ${DEFAULT_REPLACE_BUDGET_MS} ms); ` +
      `small requests idle: ${fmt(idle)}; during it (${during.length}): ${fmt(during)}; API during it: ${fmt(api)}`);

    // Unchanged, and within the budget (plus the time to collect and send 8 MiB), not the rules' own 15-60 s.
    expect(answer.status).toBe(200);
    expect(answer.body.length).toBe(BIG);
    expect(answer.body.subarray(-2).toString()).toBe('ab');
    expect(bigMs).toBeGreaterThanOrEqual(DEFAULT_REPLACE_BUDGET_MS - 600);
    expect(bigMs).toBeLessThan(DEFAULT_REPLACE_BUDGET_MS * 2);
    // Many small requests went through meanwhile, each far quicker than the big one they would have waited behind.
    expect(during.length).toBeGreaterThanOrEqual(10);
    // (On the event loop, the rules would have held every one of them for their whole 15-60 s.)
    expect(Math.max(...during)).toBeLessThan(bigMs / 5);
    expect(Math.max(...api)).toBeLessThan(bigMs / 5);

    const entries = await entriesOf(server, session.id, 20 + during.length + 1);
    const entry = entryFor(entries, '/big');
    // Which rule the budget stops depends on the machine's speed: one of them, named.
    expect(entry.modified).toMatchObject({ rules: [], bodyReplacementTimedOut: { budgetMs: DEFAULT_REPLACE_BUDGET_MS, rule: expect.stringMatching(/^bodyReplacements\[\d+\]$/) } });
    expect(entryFor(entries, '/small').modified?.bodyReplacementTimedOut).toBeUndefined();
    agent.destroy();
  }, 60_000);
});
