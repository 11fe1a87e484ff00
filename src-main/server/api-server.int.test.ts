/** The REST adapter and the WebSocket stream over the real engine, with real clients. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { curl } from '../test-support/curl.js';
import { startTestServer, TEST_TOKEN, type TestServer } from '../test-support/server.js';
import { startUpstream, type Upstream } from '../test-support/upstream.js';

let server: TestServer;
let upstream: Upstream;
let sessionId: string;
let proxyUrl: string;

beforeAll(async () => {
  server = await startTestServer();
  upstream = await startUpstream();
  const started = await server.call('POST', '/start', { name: 'api test', targetUrl: upstream.url });
  expect(started.status).toBe(201);
  sessionId = started.json.session.id;
  proxyUrl = started.json.session.proxyUrl;
  await curl([`${proxyUrl}/json`]);
  await curl([`${proxyUrl}/gzip`, '--compressed']);
  await new Promise((r) => setTimeout(r, 100));
});
afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

async function entryCount(): Promise<number> {
  return (await server.call('GET', `/${sessionId}/entries?limit=1`)).json.total;
}

describe('authentication and origin checks', () => {
  it('needs the token on every API call', async () => {
    const none = await fetch(`${server.api}/sessions`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: 'unauthorized', error: expect.stringMatching(/token/) });
    const wrong = await server.call('GET', '/sessions', undefined, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${server.base}/api/v1/health`)).status).toBe(200);
  });

  it('rejects requests addressed to another Host or coming from another origin', async () => {
    const port = server.headless.server.port;
    const rebinding = await curl([`${server.api}/sessions`, '-H', `Authorization: Bearer ${TEST_TOKEN}`, '-H', `Host: attacker.example:${port}`]);
    expect(rebinding.status).toBe(403);
    const crossSite = await server.call('GET', '/sessions', undefined, { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    const sameOrigin = await server.call('GET', '/sessions', undefined, { origin: server.base });
    expect(sameOrigin.status).toBe(200);
    const viaLocalhost = await curl([`http://localhost:${port}/api/v1/recorder/sessions`, '-H', `Authorization: Bearer ${TEST_TOKEN}`]);
    expect(viaLocalhost.status).toBe(200);
  });
});

describe('bad input gets a 400 naming the field and loses nothing', () => {
  const cases: Array<[string, unknown, number, RegExp, string | undefined]> = [
    ['bad JSON', '{"mode": "reverse",', 400, /not valid JSON/, undefined],
    ['unknown mode', { mode: 'sideways', targetUrl: 'http://127.0.0.1:1' }, 400, /^mode: must be "reverse" or "forward"/, 'mode'],
    ['reverse without targetUrl', { mode: 'reverse' }, 400, /^targetUrl: is required for a reverse-proxy session/, 'targetUrl'],
    ['bad URL', { targetUrl: 'not a url' }, 400, /^targetUrl: must be an absolute http/, 'targetUrl'],
    ['ftp URL', { targetUrl: 'ftp://127.0.0.1/' }, 400, /^targetUrl:/, 'targetUrl'],
    ['negative port', { targetUrl: 'http://127.0.0.1:1', listenPort: -1 }, 400, /^listenPort:/, 'listenPort'],
    ['huge port', { targetUrl: 'http://127.0.0.1:1', listenPort: 70000 }, 400, /^listenPort:/, 'listenPort'],
    ['string port', { targetUrl: 'http://127.0.0.1:1', listenPort: '8085' }, 400, /^listenPort:/, 'listenPort'],
    ['unknown filter key', { targetUrl: 'http://127.0.0.1:1', filters: { includeHost: ['x'] } }, 400, /filters: unknown field includeHost/, 'filters.includeHost'],
    ['unknown field', { targetUrl: 'http://127.0.0.1:1', colour: 'red' }, 400, /unknown field colour/, 'colour'],
    ['bad status filter', { targetUrl: 'http://127.0.0.1:1', filters: { excludeStatus: ['404'] } }, 400, /^filters\.excludeStatus\.0:/, 'filters.excludeStatus.0'],
    ['array body', [1, 2], 400, /session config/, undefined],
    ['bad mapLocal', { targetUrl: 'http://127.0.0.1:1', mapLocal: { enabled: 'yes' } }, 400, /^mapLocal\.enabled: /, 'mapLocal.enabled'],
    ['bad modification', { targetUrl: 'http://127.0.0.1:1', modifications: { urlRewrites: [{ match: '(', replace: '' }] } }, 400, /^modifications\.urlRewrites\.0\.match: is not a valid regex/, 'modifications.urlRewrites.0.match'],
    ['bad toxics', { targetUrl: 'http://127.0.0.1:1', toxics: { http: { errorRate: 2 } } }, 400, /^toxics\.http\.errorRate: must be at most 1/, 'toxics.http.errorRate'],
  ];
  for (const [name, body, status, message, field] of cases) {
    it(name, async () => {
      const before = await entryCount();
      const res = await server.call('POST', '/start', body);
      expect(res.status).toBe(status);
      expect(res.json.error).toMatch(message);
      if (field) expect(res.json.field).toBe(field);
      expect(await entryCount()).toBe(before);
    });
  }

  it('bad paging, annotations and port checks', async () => {
    expect((await server.call('GET', `/${sessionId}/entries?limit=0`)).json.error).toMatch(/limit must be an integer from 1 to 1000/);
    expect((await server.call('GET', `/${sessionId}/entries?offset=-4`)).status).toBe(400);
    const entries = (await server.call('GET', `/${sessionId}/entries`)).json.entries;
    const patchBad = await server.call('PATCH', `/${sessionId}/entries/${entries[0].id}`, { tags: 'not-a-list' });
    expect(patchBad.status).toBe(400);
    expect(patchBad.json.field).toBe('tags');
    expect((await server.call('PATCH', `/${sessionId}/entries/${entries[0].id}`, { colour: 1 })).json.error).toMatch(/unknown field colour/);
    expect((await server.call('GET', '/port-check?port=abc')).status).toBe(400);
    expect((await server.call('GET', '/port-check')).status).toBe(400);
    expect(await entryCount()).toBe(2);
  });

  it('unknown ids are 404', async () => {
    for (const [method, path] of [
      ['GET', '/no-such-id'],
      ['POST', '/no-such-id/stop'],
      ['POST', '/no-such-id/restart'],
      ['DELETE', '/no-such-id'],
      ['GET', '/no-such-id/entries'],
      ['GET', `/${sessionId}/entries/no-such-entry`],
      ['PATCH', `/${sessionId}/entries/no-such-entry`],
    ] as const) {
      const res = await server.call(method, path, method === 'PATCH' ? { notes: 'x' } : undefined);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.code).toBe('not_found');
    }
    expect((await server.call('GET', '/nope/nope/nope')).status).toBe(404);
  });
});

describe('entries over REST', () => {
  it('pages with the total and serves decoded and raw bodies', async () => {
    const page = await server.call('GET', `/${sessionId}/entries?offset=1&limit=1`);
    expect(page.json).toMatchObject({ total: 2, offset: 1, limit: 1 });
    const gz = page.json.entries[0];
    expect(gz.response.body.text).toContain('"encoded":"gzip"');
    const raw = await fetch(`${server.api}/${sessionId}/entries/${gz.id}/body/response`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(raw.headers.get('content-type')).toMatch(/json/);
    const rawBytes = Buffer.from(await raw.arrayBuffer());
    expect(rawBytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const decoded = await fetch(`${server.api}/${sessionId}/entries/${gz.id}/body/response?decoded=1`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(JSON.parse(await decoded.text())).toEqual({ encoded: 'gzip', path: '/gzip' });
    const summaries = await server.call('GET', `/${sessionId}/entries?bodies=false`);
    expect(summaries.json.entries[0].response.body.text).toBeUndefined();
    const search = await server.call('GET', `/${sessionId}/entries/search?q=ENCODED`);
    expect(search.json.ids).toEqual([gz.id]);
  });
});

describe('the WebSocket stream', () => {
  function open(path: string, options: WebSocket.ClientOptions = {}, protocols?: string[]) {
    return new WebSocket(`${server.base.replace('http', 'ws')}/api/v1/recorder${path}`, protocols, options);
  }

  it('streams entries in the reference shape, with header or subprotocol auth, single or batched', async () => {
    const single = open(`/${sessionId}/ws`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const batched = open(`/${sessionId}/ws?batch=1`, {}, [`traffic-recorder.bearer.${TEST_TOKEN}`]);
    const singleMessages: any[] = [];
    const batchMessages: any[] = [];
    // ws hands a text frame over as one Buffer (binaryType nodebuffer).
    single.on('message', (d) => singleMessages.push(JSON.parse((d as Buffer).toString())));
    batched.on('message', (d) => batchMessages.push(JSON.parse((d as Buffer).toString())));
    await Promise.all([single, batched].map((ws) => new Promise((r, j) => ws.once('open', r).once('error', j))));
    expect(batched.protocol).toBe(`traffic-recorder.bearer.${TEST_TOKEN}`);
    await curl([`${proxyUrl}/json?live=1`]);
    await curl([`${proxyUrl}/json?live=2`]);
    await new Promise((r) => setTimeout(r, 300));
    single.close();
    batched.close();
    expect(singleMessages).toHaveLength(2);
    expect(singleMessages[0]).toMatchObject({
      type: 'entry',
      entry: {
        id: expect.any(String),
        entryType: 'http',
        request: { method: 'GET', url: `${upstream.url}/json?live=1` },
        response: { statusCode: 200 },
        durationMs: expect.any(Number),
        timings: { dnsMs: expect.any(Number), connectMs: expect.any(Number), tlsMs: -1, sendMs: expect.any(Number), waitMs: expect.any(Number), recvMs: expect.any(Number), totalMs: expect.any(Number) },
      },
    });
    expect(batchMessages.every((m) => m.type === 'batch')).toBe(true);
    expect(batchMessages.flatMap((m) => m.messages).map((m: any) => m.entry.request.url)).toEqual([
      `${upstream.url}/json?live=1`,
      `${upstream.url}/json?live=2`,
    ]);
  });

  it('refuses a stream without the token, and closes one for an unknown session', async () => {
    const anonymous = open(`/${sessionId}/ws`);
    const status = await new Promise<number>((resolve) => anonymous.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(401);
    const unknown = open('/missing/ws', { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const [code, first] = await new Promise<[number, string]>((resolve) => {
      let firstMessage = '';
      unknown.on('message', (d) => (firstMessage ||= (d as Buffer).toString()));
      unknown.on('close', (c) => resolve([c, firstMessage]));
    });
    expect(code).toBe(4404);
    expect(JSON.parse(first)).toMatchObject({ type: 'error', code: 'not_found' });
  });
});

describe('the reference curl examples, as written plus the token', () => {
  const port = () => server.headless.server.port;
  const withToken = (args: string[]) => [...args, '-H', `Authorization: Bearer ${TEST_TOKEN}`];

  /**
   * The example binds 8085 as written; test files running beside this one auto-assign ports from 8081 and may hold
   * it for a moment (409 port_in_use), so a refusal for that reason alone waits and tries again.
   */
  async function whenPortFree(call: () => ReturnType<typeof curl>): ReturnType<typeof curl> {
    for (let attempt = 0; ; attempt++) {
      const result = await call();
      if (result.status !== 409 || attempt >= 60) return result;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  it('the start example with filters and toxics, and Example 1: start, entries, annotate, stop work', async () => {
    const start = await whenPortFree(() => curl(withToken([
      '-X', 'POST', `http://localhost:${port()}/api/v1/recorder/start`,
      '-H', 'Content-Type: application/json',
      '-d', `{
"name": "Stripe Integration Test",
"mode": "reverse",
"targetUrl": "https://api.stripe.com",
"listenPort": 8085,
"namespace": "default",
"filters": {
"includePaths": ["/v1/*"],
"excludePaths": ["/v1/health"]
},
"toxics": {
"http": {
"delayMs": 100,
"delayJitter": 50
}
}
}`,
    ])));
    expect(start.status).toBe(201);
    const started = JSON.parse(start.body.toString()).session;
    expect(started).toMatchObject({ listenPort: 8085, toxics: { http: { delayMs: 100, delayJitter: 50 } } });
    await curl(withToken(['-X', 'DELETE', `http://localhost:${port()}/api/v1/recorder/${started.id}`]));

    const example1 = await curl(withToken([
      '-X', 'POST', `http://localhost:${port()}/api/v1/recorder/start`,
      '-H', 'Content-Type: application/json',
      '-d', `{
"name": "Checkout Flow",
"mode": "reverse",
"targetUrl": "https://api.stripe.com",
"filters": {
"includePaths": ["/v1/charges", "/v1/payment_intents", "/v1/customers"],
"includeMethods": ["POST", "GET"]
}
}`,
    ]));
    expect(example1.status).toBe(201);
    const { session } = JSON.parse(example1.body.toString());
    expect(session).toMatchObject({ name: 'Checkout Flow', mode: 'reverse', targetUrl: 'https://api.stripe.com', status: 'running', entryCount: 0, namespace: 'default' });
    expect(session.listenPort).toBeGreaterThanOrEqual(8081);
    expect(Date.parse(session.expiresAt) - Date.parse(session.createdAt)).toBe(4 * 60 * 60 * 1000);

    const entries = await curl(withToken([`http://localhost:${port()}/api/v1/recorder/${sessionId}/entries?offset=0&limit=100`]));
    expect(JSON.parse(entries.body.toString()).entries.length).toBeGreaterThan(0);
    const entryId = JSON.parse(entries.body.toString()).entries[0].id;
    const annotate = await curl(withToken([
      '-X', 'PATCH', `http://localhost:${port()}/api/v1/recorder/${sessionId}/entries/${entryId}`,
      '-H', 'Content-Type: application/json',
      '-d', `{
"tags": ["bug", "timeout"],
"notes": "This request took 8 seconds — investigate upstream latency"
}`,
    ]));
    expect(annotate.status).toBe(200);
    expect(JSON.parse(annotate.body.toString()).entry).toMatchObject({ tags: ['bug', 'timeout'], notes: expect.stringContaining('investigate') });

    const ports = await curl(withToken([`http://localhost:${port()}/api/v1/recorder/ports`]));
    expect(JSON.parse(ports.body.toString())).toMatchObject({ max: 30, details: expect.arrayContaining([expect.objectContaining({ sessionId: session.id })]) });
    const check = await curl(withToken([`http://localhost:${port()}/api/v1/recorder/port-check?port=${session.listenPort}`]));
    expect(JSON.parse(check.body.toString())).toMatchObject({ available: false });

    const stop = await curl(withToken(['-X', 'POST', `http://localhost:${port()}/api/v1/recorder/${session.id}/stop`]));
    expect(stop.status).toBe(200);
    expect(JSON.parse(stop.body.toString()).session).toMatchObject({ status: 'stopped', stoppedAt: expect.any(String) });
    const stopJson = await curl(withToken(['-X', 'POST', '-H', 'Content-Type: application/json', `http://localhost:${port()}/api/v1/recorder/${session.id}/stop`]));
    expect(stopJson.status).toBe(200);
    const del = await curl(withToken(['-X', 'DELETE', `http://localhost:${port()}/api/v1/recorder/${session.id}`]));
    expect(JSON.parse(del.body.toString())).toEqual({ deleted: true, id: session.id });
  });
});
