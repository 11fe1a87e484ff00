/**
 * Map local through real sockets: reverse sessions pointed at a port nobody listens on, so every answer that is
 * not a 502 came from a mock. The same tests run with the proxies in this process and in two proxy workers (the
 * mocks then travel to each worker at start and on every change).
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { mapLocalEnv } from './map-local-test-support.js';
import type { Session } from '../../../src-shared/model.js';
import type { MockInput } from '../../../src-shared/mocks.js';
import { curl } from '../../test-support/curl.js';
import { waitForEntries } from '../../test-support/engine.js';

/** A GET (or another method) through node:http, on `agent` when given (keep-alive tests). */
function request(url: string, options: { method?: string; agent?: http.Agent } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; rawHeaders: string[]; body: Buffer; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each([
  ['in process', 0],
  ['in two proxy workers', 2],
])('map local, proxies %s', (_where, proxyWorkers) => {
  const env = mapLocalEnv(proxyWorkers);
  const started: string[] = [];

  const save = (...mocks: MockInput[]) => env.ops.saveMocks({ mocks });
  async function session(extra: Record<string, unknown> = {}): Promise<Session> {
    const { session } = await env.engine.recorder.startSession({ targetUrl: env.target, mapLocal: { enabled: true }, ...extra });
    started.push(session.id);
    return session;
  }

  it('answers from the mock without touching the upstream: status, header lists, JSON payload; the entry says so', async () => {
    await save({
      id: 'user',
      namespace: 'answers',
      http: { route: '/api/users/:id', httpMethod: 'GET' },
      response: { statusCode: 201, headers: { 'X-Multi': ['one', 'two'], 'Content-Length': ['999'] }, payload: { id: 1, name: 'Ann' } },
    });
    const s = await session({ namespace: 'answers' });
    const res = await request(`${s.proxyUrl}/api/users/42?full=1`);
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body.toString())).toEqual({ id: 1, name: 'Ann' });
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['content-length']).toBe(String(res.body.length));
    expect(res.rawHeaders.filter((_, i, all) => i % 2 === 1 && all[i - 1] === 'X-Multi')).toEqual(['one', 'two']);
    // What no mock matches goes upstream as always: here, to nobody.
    expect((await request(`${s.proxyUrl}/api/users/42`, { method: 'POST' })).status).toBe(502);
    expect((await request(`${s.proxyUrl}/api/users`)).status).toBe(502);

    const entries = await waitForEntries(env.engine.recorder, s.id, 3);
    const mapped = entries.find((e) => e.request.method === 'GET' && e.request.url.endsWith('/api/users/42?full=1'))!;
    expect(mapped).toMatchObject({ mapLocal: true, mapLocalMockId: 'user', response: { statusCode: 201 } });
    expect(mapped.error).toBeUndefined();
    const body = await env.engine.recorder.readEntryBody(s.id, mapped.id, 'response', false);
    expect(JSON.parse(body.bytes.toString())).toEqual({ id: 1, name: 'Ann' });
    for (const e of entries.filter((x) => x !== mapped)) expect(e).toMatchObject({ mapLocal: false, response: { statusCode: 502 } });
    expect(entries.filter((x) => x !== mapped).every((e) => e.mapLocalMockId === undefined)).toBe(true);
  });

  it('matches :param routes and RE2 regex routes against the path, and the method', async () => {
    await save(
      { id: 'param', namespace: 'routes', http: { route: '/shop/:shop/items/:item', httpMethod: 'GET' }, response: { payload: 'param' } },
      { id: 'regex', namespace: 'routes', http: { route: '^/v[0-9]+/orders/[0-9]+$', httpMethod: 'delete' }, response: { payload: 'regex' } },
      { id: 'pattern', namespace: 'routes', http: { route: '/label', routePattern: '/files/.*\\.png' }, response: { payload: 'pattern', headers: { 'Content-Type': ['text/x-test'] } } },
    );
    const s = await session({ namespace: 'routes' });
    const text = async (path: string, method = 'GET') => {
      const res = await request(s.proxyUrl + path, { method });
      return res.status === 502 ? 502 : res.body.toString();
    };
    expect(await text('/shop/7/items/9')).toBe('param');
    expect(await text('/shop/7/items/9/')).toBe('param');
    expect(await text('/shop/7/items')).toBe(502);
    expect(await text('/v2/orders/15', 'DELETE')).toBe('regex');
    expect(await text('/v2/orders/15', 'GET')).toBe(502);
    expect(await text('/v2/orders/15/x', 'DELETE')).toBe(502);
    expect(await text('/files/a/b.png', 'PUT')).toBe('pattern');
    expect(await text('/label')).toBe(502);
    const typed = await request(`${s.proxyUrl}/files/x.png`);
    expect(typed.headers['content-type']).toBe('text/x-test');
  });

  it('serves the first match by priority, then age, and takes edits while running, on an open connection', async () => {
    await save(
      { id: 'older', namespace: 'order', http: { route: '/thing' }, response: { payload: 'older' } },
      { id: 'newer', namespace: 'order', http: { route: '/thing' }, response: { payload: 'newer' } },
    );
    const s = await session({ namespace: 'order' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await request(`${s.proxyUrl}/thing`, { agent });
      expect(first.body.toString()).toBe('older');
      await env.ops.patchMock({ id: 'newer', priority: 1 });
      const second = await request(`${s.proxyUrl}/thing`, { agent });
      expect(second.body.toString()).toBe('newer');
      expect(second.reused).toBe(true);
      // A new mock, a changed payload and a deletion all reach the running session, nothing restarted.
      await env.ops.saveMock({ id: 'newest', namespace: 'order', priority: 5, http: { route: '/thing' }, response: { payload: 'newest' } });
      expect((await request(`${s.proxyUrl}/thing`, { agent })).body.toString()).toBe('newest');
      await env.ops.patchMock({ id: 'newest', response: { payload: 'edited' } });
      expect((await request(`${s.proxyUrl}/thing`, { agent })).body.toString()).toBe('edited');
      await env.ops.deleteMock({ id: 'newest' });
      await env.ops.deleteMock({ id: 'newer' });
      const last = await request(`${s.proxyUrl}/thing`, { agent });
      expect(last.body.toString()).toBe('older');
      expect(last.reused).toBe(true);
      // A mock moved to another namespace leaves this session.
      await env.ops.patchMock({ id: 'older', namespace: 'elsewhere' });
      expect((await request(`${s.proxyUrl}/thing`, { agent })).status).toBe(502);
    } finally {
      agent.destroy();
    }
    const entries = await waitForEntries(env.engine.recorder, s.id, 6);
    expect(entries.map((e) => e.mapLocalMockId ?? null)).toEqual(['older', 'newer', 'newest', 'newest', 'older', null]);
  });

  it('waits the mock\'s delay before answering', async () => {
    await save({ id: 'slow', namespace: 'delay', http: { route: '/slow' }, response: { payload: 'late', delay: 400 } });
    const s = await session({ namespace: 'delay' });
    const t0 = performance.now();
    const res = await request(`${s.proxyUrl}/slow`);
    const elapsed = performance.now() - t0;
    expect(res.body.toString()).toBe('late');
    expect(elapsed).toBeGreaterThanOrEqual(395);
    const [entry] = await waitForEntries(env.engine.recorder, s.id, 1);
    expect(entry!.durationMs).toBeGreaterThanOrEqual(395);
  });

  it('sends base64 payloads as bytes, oneOf responses in turn from offset, and no body for 204', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255, 10, 13]);
    await save(
      { id: 'bin', namespace: 'kinds', http: { route: '/bin' }, response: { payload: bytes.toString('base64'), decode: 'base64' } },
      { id: 'seq', namespace: 'kinds', http: { route: '/seq' }, oneOf: { order: 'order', offset: 1, responses: [{ payload: 'a' }, { payload: 'b' }, { statusCode: 503, payload: 'c' }] } },
      { id: 'empty', namespace: 'kinds', http: { route: '/empty' }, response: { statusCode: 204, payload: 'ignored' } },
      { id: 'text', namespace: 'kinds', http: { route: '/text' }, response: { payload: 'plain ✓' } },
    );
    const s = await session({ namespace: 'kinds' });
    const bin = await request(`${s.proxyUrl}/bin`);
    expect(bin.body.equals(bytes)).toBe(true);
    expect(bin.headers['content-type']).toBe('application/octet-stream');
    const seq = [];
    for (let i = 0; i < 4; i++) {
      const res = await request(`${s.proxyUrl}/seq`);
      seq.push(`${res.status}:${res.body.toString()}`);
    }
    // Each proxy worker keeps its own turn: with several, connections dealt out among them interleave the turns.
    if (proxyWorkers === 0) expect(seq).toEqual(['200:b', '503:c', '200:a', '200:b']);
    else for (const answer of seq) expect(['200:a', '200:b', '503:c']).toContain(answer);
    const empty = await request(`${s.proxyUrl}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body.length).toBe(0);
    const text = await request(`${s.proxyUrl}/text`);
    expect(text.body.toString()).toBe('plain ✓');
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
    // HEAD gets the head only.
    const head = await request(`${s.proxyUrl}/text`, { method: 'HEAD' });
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength('plain ✓')));
    expect(head.body.length).toBe(0);
  });

  it('serves the namespace given, else the session\'s own, and nothing when map local is off', async () => {
    await save(
      { id: 'ns-team', namespace: 'team', http: { route: '/who' }, response: { payload: 'team' } },
      { id: 'ns-staging', namespace: 'staging', http: { route: '/who' }, response: { payload: 'staging' } },
    );
    const own = await session({ namespace: 'team' });
    const named = await session({ namespace: 'team', mapLocal: { enabled: true, namespace: 'staging' } });
    const off = await session({ namespace: 'team', mapLocal: { enabled: false } });
    const none = await env.engine.recorder.startSession({ targetUrl: env.target, namespace: 'team' });
    expect((await request(`${own.proxyUrl}/who`)).body.toString()).toBe('team');
    expect((await request(`${named.proxyUrl}/who`)).body.toString()).toBe('staging');
    expect((await request(`${off.proxyUrl}/who`)).status).toBe(502);
    expect((await request(`${none.session.proxyUrl}/who`)).status).toBe(502);
    // Through curl too, as an app would call it.
    const viaCurl = await curl([`${named.proxyUrl}/who`]);
    expect(viaCurl).toMatchObject({ status: 200, exitCode: 0 });
    expect(viaCurl.body.toString()).toBe('staging');
    // The session keeps its mapLocal setting, and a restart serves the mocks again.
    expect((await env.engine.recorder.getSession({ id: named.id })).session.mapLocal).toEqual({ enabled: true, namespace: 'staging' });
    await env.engine.recorder.stopSession({ id: named.id });
    const restarted = (await env.engine.recorder.restartSession({ id: named.id })).session;
    expect((await request(`${restarted.proxyUrl}/who`)).body.toString()).toBe('staging');
  });

  it('maps requests a forward proxy carries, whatever their host', async () => {
    await save({ id: 'fwd', namespace: 'forward', http: { route: '/via/proxy', httpMethod: 'GET' }, response: { payload: 'forwarded' } });
    const { session: s } = await env.engine.recorder.startSession({ mode: 'forward', namespace: 'forward', mapLocal: { enabled: true } });
    const viaProxy = await curl(['-x', s.proxyUrl, `${env.target}/via/proxy`]);
    expect(viaProxy).toMatchObject({ status: 200, exitCode: 0 });
    expect(viaProxy.body.toString()).toBe('forwarded');
    expect((await curl(['-x', s.proxyUrl, `${env.target}/not/mocked`])).status).toBe(502);
    const entries = await waitForEntries(env.engine.recorder, s.id, 2);
    expect(entries.find((e) => e.mapLocal)).toMatchObject({ mapLocalMockId: 'fwd', request: { url: `${env.target}/via/proxy` } });
  });

  it('answers a mocked request before the toxics: an injected error never replaces a mock', async () => {
    await save({ id: 'calm', namespace: 'chaos', http: { route: '/calm' }, response: { payload: 'calm' } });
    const s = await session({ namespace: 'chaos', toxics: { http: { errorRate: 1, errorStatus: 500 } } });
    expect((await request(`${s.proxyUrl}/calm`)).body.toString()).toBe('calm');
    expect((await request(`${s.proxyUrl}/other`)).status).toBe(500);
    const entries = await waitForEntries(env.engine.recorder, s.id, 2);
    expect(entries.find((e) => e.mapLocal)).toMatchObject({ mapLocalMockId: 'calm' });
    expect(entries.find((e) => e.mapLocal)!.injected).toBeUndefined();
  });
});
