/**
 * Bad input through the real REST server (issue 8, points 21, 22, 25): every wrong type says what was expected
 * and names the field, repeated query parameters are refused, every string is bounded, and a listen address
 * that is not this machine's is refused at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curl } from '../test-support/curl.js';
import { waitForEntries } from '../test-support/engine.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { startUpstream, type Upstream } from '../test-support/upstream.js';

let server: TestServer;
let upstream: Upstream;
let sessionId: string;
let entryId: string;

beforeAll(async () => {
  server = await startTestServer();
  upstream = await startUpstream();
  const started = await server.call('POST', '/start', { name: 'inputs', targetUrl: upstream.url });
  expect(started.status).toBe(201);
  sessionId = started.json.session.id;
  await curl([`${started.json.session.proxyUrl}/json`]);
  entryId = (await waitForEntries(server.headless.recorder, sessionId, 1))[0]!.id;
});
afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

const target = () => upstream.url;

describe('a wrong type says which type was expected, naming the field', () => {
  const cases: Array<[string, () => unknown, string, RegExp]> = [
    ['string port', () => ({ targetUrl: target(), listenPort: '8555' }), 'listenPort', /^listenPort: expected a number, got a string$/],
    ['fractional port', () => ({ targetUrl: target(), listenPort: 8555.5 }), 'listenPort', /^listenPort: expected an integer, got a fractional number$/],
    ['numeric URL', () => ({ targetUrl: 42 }), 'targetUrl', /^targetUrl: expected a string, got a number$/],
    ['string filters', () => ({ targetUrl: target(), filters: 'x' }), 'filters', /^filters: expected a JSON object, got a string$/],
    ['status as text', () => ({ targetUrl: target(), filters: { excludeStatus: ['404'] } }), 'filters.excludeStatus.0', /expected a number, got a string/],
    ['mode as number', () => ({ targetUrl: target(), mode: 3 }), 'mode', /^mode: must be "reverse" or "forward", got a number$/],
    ['host as number', () => ({ targetUrl: target(), listenHost: 5 }), 'listenHost', /expected a string, got a number/],
    ['boolean as text', () => ({ targetUrl: target(), ignoreUpstreamCertErrors: 'yes' }), 'ignoreUpstreamCertErrors', /expected a boolean, got a string/],
    ['mitm.enabled as text', () => ({ mode: 'forward', mitm: { enabled: 'yes' } }), 'mitm.enabled', /expected a boolean, got a string/],
  ];
  for (const [name, body, field, message] of cases) {
    it(`POST /start: ${name}`, async () => {
      const res = await server.call('POST', '/start', body());
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ code: 'bad_request', field });
      expect(res.json.error).toMatch(message);
    });
  }

  it('a body that is not a JSON object is named "body", on every JSON endpoint', async () => {
    for (const [method, path] of [
      ['POST', '/start'],
      ['POST', '/ca/trust/install'],
      ['POST', '/system-proxy/on'],
      ['POST', `/${sessionId}/open-browser`],
    ] as const) {
      const res = await server.call(method, path, [1, 2]);
      expect(res.status, path).toBe(400);
      expect(res.json, path).toMatchObject({ field: 'body', error: expect.stringMatching(/^body: expected a JSON object .*, got an array$/) });
    }
    const text = await server.call('POST', '/start', '"just text"');
    expect(text.json).toMatchObject({ field: 'body', error: expect.stringMatching(/got a string$/) });
  });

  it('annotations: tags must be a list of strings, notes a string', async () => {
    const tags = await server.call('PATCH', `/${sessionId}/entries/${entryId}`, { tags: 'a' });
    expect(tags.json).toMatchObject({ field: 'tags', error: 'tags: expected an array, got a string' });
    const tag = await server.call('PATCH', `/${sessionId}/entries/${entryId}`, { tags: [1] });
    expect(tag.json).toMatchObject({ field: 'tags.0', error: 'tags.0: expected a string, got a number' });
    const notes = await server.call('PATCH', `/${sessionId}/entries/${entryId}`, { notes: false });
    expect(notes.json).toMatchObject({ field: 'notes', error: 'notes: expected a string, got a boolean' });
  });

  it('machine endpoints name the field and the expected type too', async () => {
    const scope = await server.call('POST', '/ca/trust/install', { scope: 5, dryRun: true });
    expect(scope.json).toMatchObject({ field: 'scope', error: expect.stringMatching(/got a number$/) });
    const dbs = await server.call('POST', '/ca/trust/install', { nssDbs: '/x', dryRun: true });
    expect(dbs.json).toMatchObject({ field: 'nssDbs', error: 'nssDbs: expected an array, got a string' });
    const proxy = await server.call('POST', '/system-proxy/on', { sessionId: 7 });
    expect(proxy.json).toMatchObject({ field: 'sessionId', error: 'sessionId: expected a string, got a number' });
    const headless = await server.call('POST', `/${sessionId}/open-browser`, { headless: 'yes' });
    expect(headless.json).toMatchObject({ field: 'headless', error: 'headless: expected a boolean, got a string' });
  });
});

describe('query strings', () => {
  it('a repeated q on search is a 400 naming q, not a 500', async () => {
    const res = await server.call('GET', `/${sessionId}/entries/search?q=a&q=b`);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'bad_request', field: 'q', error: expect.stringMatching(/^q: give q only once/) });
    const one = await server.call('GET', `/${sessionId}/entries/search?q=json`);
    expect(one).toMatchObject({ status: 200, json: { ids: [entryId] } });
    const none = await server.call('GET', `/${sessionId}/entries/search`);
    expect(none.status).toBe(200);
  });

  it('repeated paging parameters are refused with the expected type', async () => {
    const res = await server.call('GET', `/${sessionId}/entries?limit=1&limit=2`);
    expect(res.json).toMatchObject({ field: 'limit', error: 'limit: expected a string or a number, got an array' });
    const bodies = await server.call('GET', `/${sessionId}/entries?bodies=yes`);
    expect(bodies.json).toMatchObject({ field: 'bodies', error: expect.stringMatching(/^bodies: must be one of .*, got "yes"$/) });
  });
});

describe('every input is bounded', () => {
  it('a 5 MB targetUrl is refused and never listed', async () => {
    const huge = `${target()}/${'a'.repeat(5 * 1024 * 1024)}`;
    const res = await server.call('POST', '/start', { targetUrl: huge });
    // Past the API's JSON size limit: refused before it is even parsed.
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ field: 'body', error: expect.stringMatching(/^body: larger than this API accepts \(1048576 bytes/) });
    const long = await server.call('POST', '/start', { targetUrl: `${target()}/${'a'.repeat(100_000)}` });
    expect(long.status).toBe(400);
    expect(long.json).toMatchObject({ field: 'targetUrl', error: 'targetUrl: must be at most 8192 characters long' });
    const list = await server.call('GET', '/sessions');
    expect(list.text.length).toBeLessThan(100_000);
  });

  it('names, search text, annotations, globs and lists have limits', async () => {
    const checks: Array<[string, string, unknown, string]> = [
      ['POST', '/start', { targetUrl: target(), name: 'n'.repeat(201) }, 'name'],
      ['POST', '/start', { targetUrl: target(), namespace: 'n'.repeat(201) }, 'namespace'],
      ['POST', '/start', { targetUrl: target(), filters: { includePaths: ['/' + 'p'.repeat(1024)] } }, 'filters.includePaths.0'],
      ['POST', '/start', { targetUrl: target(), filters: { includeHosts: Array.from({ length: 501 }, (_, i) => `h${i}`) } }, 'filters.includeHosts'],
      ['PATCH', `/${sessionId}/entries/${entryId}`, { notes: 'x'.repeat(100_001) }, 'notes'],
      ['PATCH', `/${sessionId}/entries/${entryId}`, { tags: ['t'.repeat(101)] }, 'tags.0'],
      ['POST', '/system-proxy/on', { sessionId: 's'.repeat(201), dryRun: true }, 'sessionId'],
      ['POST', `/${sessionId}/open-browser`, { url: `http://127.0.0.1/${'u'.repeat(8200)}` }, 'url'],
    ];
    for (const [method, path, body, field] of checks) {
      const res = await server.call(method, path, body);
      expect(res.status, field).toBe(400);
      expect(res.json.field, field).toBe(field);
      expect(res.json.error, field).toMatch(/must (be at most|have at most) \d+/);
    }
    const search = await server.call('GET', `/${sessionId}/entries/search?q=${'q'.repeat(10_001)}`);
    expect(search.json).toMatchObject({ field: 'q', error: 'q: must be at most 10000 characters long' });
  });
});

describe('listenHost', () => {
  it('an address this machine does not have is refused at once with 400 naming listenHost', async () => {
    // 192.0.2.0/24 is TEST-NET-1: reserved for documentation, never assigned to a machine.
    const res = await server.call('POST', '/start', { targetUrl: target(), listenHost: '192.0.2.44' });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'bad_request', field: 'listenHost', error: 'listenHost: 192.0.2.44 is not an address of this machine' });
    const sessions = (await server.call('GET', '/sessions')).json.sessions as Array<{ listenHost: string }>;
    expect(sessions.some((s) => s.listenHost === '192.0.2.44')).toBe(false);
  });

  it('a local address still works', async () => {
    const res = await server.call('POST', '/start', { targetUrl: target(), listenHost: '127.0.0.1' });
    expect(res.status).toBe(201);
    expect((await server.call('DELETE', `/${res.json.session.id}`)).status).toBe(200);
  });
});
