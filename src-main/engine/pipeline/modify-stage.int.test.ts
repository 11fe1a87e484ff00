/**
 * Modification rules through the whole product on 127.0.0.1: sessions started and changed through the REST API, a
 * real upstream this test starts, Node's http client, entries read back over REST. Header rules both ways, a URL
 * rewrite with a capture group, body replacements (plain, regex, one split across two upstream writes, one in a
 * gzip body), a live replacement under keep-alive load, invalid rules refused naming their index, and a
 * pathological regex that runs in linear time.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entry } from '../../../src-shared/model.js';
import { startTestServer, type TestServer } from '../../test-support/server.js';
import { startHandlerUpstream } from '../../test-support/upstream.js';
import { startEngine } from '../../test-support/engine.js';
import { entriesOf, entryFor, startSession, timedRequest } from './toxics-test-support.js';

let server: TestServer;
let upstream: Awaited<ReturnType<typeof startHandlerUpstream>>;
let upstreamUrl: string;
/** What reached the upstream, per path as it arrived (after the rules). */
const seen: Array<{ url: string; headers: Record<string, string | string[] | undefined> }> = [];

const SECRET_JSON = JSON.stringify({ user: 'ann', apiKey: 'sk-live-123456', db: 'production-db.internal' });

beforeAll(async () => {
  // The live-replacement test sends as many requests as a fast machine manages in a second: past the default cap.
  server = await startTestServer({ limits: { maxEntriesPerSession: 100_000 } });
  upstream = await startHandlerUpstream((req, res) => {
    req.resume();
    const url = req.url ?? '/';
    seen.push({ url, headers: req.headers });
    if (url.startsWith('/split')) {
      // The match "production-db.internal" straddles the two writes.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('connect to production-d');
      setTimeout(() => res.end('b.internal now'), 30);
      return;
    }
    if (url.startsWith('/sse')) {
      // An event stream that stays open until the client leaves.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: production-db.internal\n\n');
      req.socket.once('close', () => res.end());
      return;
    }
    if (url.startsWith('/gzip')) {
      const body = zlib.gzipSync(SECRET_JSON);
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length });
      res.end(body);
      return;
    }
    if (url.startsWith('/long')) {
      const body = `${'a'.repeat(200_000)}b`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
      res.end(body);
      return;
    }
    const body = JSON.stringify({ url, auth: req.headers.authorization ?? null, debug: req.headers['x-debug'] ?? null });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-upstream': 'up', 'x-drop': 'yes' });
    res.end(body);
  });
  upstreamUrl = upstream.url;
});

afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

/** A GET with the given headers; status, headers and body as the client got them. */
function get(proxyUrl: string, path: string, headers: Record<string, string> = {}, agent?: http.Agent): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; socket: unknown }> {
  const proxy = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: proxy.hostname, port: proxy.port, path, headers, agent: agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), socket: req.socket }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

const lastSeen = (prefix: string) => [...seen].reverse().find((s) => s.url.startsWith(prefix));

describe('header and URL rules', () => {
  it('adds, replaces and removes request and response headers, and rewrites the URL with a capture group', async () => {
    const session = await startSession(server, {
      targetUrl: upstreamUrl,
      modifications: {
        requestHeaders: [
          { action: 'add', name: 'X-Debug', value: 'recorder' },
          { action: 'replace', name: 'Authorization', value: 'Bearer test-token' },
          { action: 'remove', name: 'X-Internal-ID' },
        ],
        responseHeaders: [
          { action: 'add', name: 'X-Recorded', value: 'true' },
          { action: 'replace', name: 'X-Upstream', value: 'changed' },
          { action: 'remove', name: 'X-Drop' },
        ],
        urlRewrites: [{ match: '/api/v1/(.*)', replace: '/api/v2/$1' }],
      },
    });
    const res = await get(session.proxyUrl, '/api/v1/users/7?x=1', { authorization: 'Bearer real', 'x-internal-id': '42' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ url: '/api/v2/users/7?x=1', auth: 'Bearer test-token', debug: 'recorder' });
    const up = lastSeen('/api/v2/users/7')!;
    expect(up.headers['x-internal-id']).toBeUndefined();
    expect(res.headers['x-recorded']).toBe('true');
    expect(res.headers['x-upstream']).toBe('changed');
    expect(res.headers['x-drop']).toBeUndefined();

    const [entry] = await entriesOf(server, session.id, 1);
    // The request as the app sent it, what went upstream, the response as the app got it and before the rules.
    expect(new URL(entry!.request.url).pathname).toBe('/api/v1/users/7');
    expect(entry!.request.headers).toContainEqual(['authorization', 'Bearer real']);
    expect(entry!.request.headers).toContainEqual(['x-internal-id', '42']);
    expect(entry!.upstreamRequest!.url).toMatch(/\/api\/v2\/users\/7\?x=1$/);
    expect(entry!.upstreamRequest!.headers).toContainEqual(['authorization', 'Bearer test-token']);
    expect(entry!.upstreamRequest!.headers.some(([n]) => n.toLowerCase() === 'x-internal-id')).toBe(false);
    expect(entry!.response!.headers).toContainEqual(['X-Recorded', 'true']);
    expect(entry!.modified!.rules).toEqual([
      'requestHeaders[0]', 'requestHeaders[1]', 'requestHeaders[2]', 'urlRewrites[0]',
      'responseHeaders[0]', 'responseHeaders[1]', 'responseHeaders[2]',
    ]);
    expect(entry!.modified!.originalResponse!.headers).toContainEqual(['x-drop', 'yes']);
  });

  it('lists only the rules that changed something', async () => {
    const session = await startSession(server, {
      targetUrl: upstreamUrl,
      modifications: { requestHeaders: [{ action: 'remove', name: 'X-Absent' }], urlRewrites: [{ match: '^/nomatch', replace: '/x' }] },
    });
    expect((await get(session.proxyUrl, '/plain')).status).toBe(200);
    const [entry] = await entriesOf(server, session.id, 1);
    expect(entry!.modified).toBeUndefined();
    expect(new URL(entry!.upstreamRequest!.url).pathname).toBe('/plain');
  });
});

describe('body replacements', () => {
  const bodyReplacements = [
    { match: 'production-db.internal', replace: 'localhost:5432', isRegex: false },
    { match: '"apiKey":\\s*"[^"]+"', replace: '"apiKey": "REDACTED"', isRegex: true },
  ];

  it('replaces plain text and a regex, and fixes the framing', async () => {
    const session = await startSession(server, { targetUrl: upstreamUrl, modifications: { bodyReplacements } });
    const res = await get(session.proxyUrl, '/plain-body');
    expect(JSON.parse(res.body)).toEqual({ url: '/plain-body', auth: null, debug: null });
    // Nothing matched: the body is the upstream's; the length header was dropped (chunked), never wrong.
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['transfer-encoding']).toBe('chunked');

    const gz = await get(session.proxyUrl, '/gzip', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(gz.body)).toEqual({ user: 'ann', apiKey: 'REDACTED', db: 'localhost:5432' });
    const entries = await entriesOf(server, session.id, 2);
    const entry = entryFor(entries, '/gzip');
    expect(entry.modified!.rules).toEqual(['bodyReplacements[0]', 'bodyReplacements[1]']);
    expect(entry.modified!.originalResponse).toMatchObject({ body: SECRET_JSON, contentEncoding: 'gzip' });
    expect(entry.modified!.originalResponse!.headers).toContainEqual(['content-encoding', 'gzip']);
    expect(entry.response!.headers.some(([n]) => n.toLowerCase() === 'content-encoding')).toBe(false);
    const kept = await server.call('GET', `/${session.id}/entries/${entry.id}/body/response`);
    expect(kept.text).toContain('REDACTED');
  });

  it('finds a match the upstream split across two writes', async () => {
    const session = await startSession(server, { targetUrl: upstreamUrl, modifications: { bodyReplacements } });
    const res = await get(session.proxyUrl, '/split');
    expect(res.body).toBe('connect to localhost:5432 now');
    const [entry] = await entriesOf(server, session.id, 1);
    expect(entry!.modified!.rules).toEqual(['bodyReplacements[0]']);
    expect(entry!.modified!.originalResponse!.body).toBe('connect to production-db.internal now');
  });

  it('never holds back an event stream (SSE): it is not collected, nor changed', async () => {
    const session = await startSession(server, { targetUrl: upstreamUrl, modifications: { bodyReplacements } });
    const proxy = new URL(session.proxyUrl);
    const first = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: proxy.hostname, port: proxy.port, path: '/sse', agent: false }, (res) => {
        res.once('data', (chunk: Buffer) => {
          resolve(chunk.toString());
          req.destroy();
        });
      });
      req.once('error', reject);
    });
    expect(first).toBe('data: production-db.internal\n\n');
  });

  it('runs a pathological regex in linear time without stalling the server', async () => {
    const session = await startSession(server, { targetUrl: upstreamUrl, modifications: { bodyReplacements: [{ match: '(a+)+$', replace: 'X', isRegex: true }] } });
    // A backtracking engine takes exponential time on 200,000 a's followed by a b; RE2 does not match and is done.
    const res = await get(session.proxyUrl, '/long');
    expect(res.body.length).toBe(200_001);
    expect(res.body.endsWith('ab')).toBe(true);
    // The server still answers its API right after.
    expect((await server.call('GET', `/${session.id}`)).status).toBe(200);
  });
});

describe('validation', () => {
  const cases: Array<[string, unknown, string]> = [
    ['bad regex in a URL rewrite', { urlRewrites: [{ match: '/ok', replace: '/x' }, { match: '(', replace: '/x' }] }, 'modifications.urlRewrites.1.match'],
    ['group the regex lacks', { urlRewrites: [{ match: '/a/(.*)', replace: '/b/$2' }] }, 'modifications.urlRewrites.0.replace'],
    ['bad regex in a body replacement', { bodyReplacements: [{ match: '[', replace: '', isRegex: true }] }, 'modifications.bodyReplacements.0.match'],
    ['lookahead (not RE2)', { bodyReplacements: [{ match: 'a(?=b)', replace: '', isRegex: true }] }, 'modifications.bodyReplacements.0.match'],
    ['unknown action', { requestHeaders: [{ action: 'add', name: 'A', value: '1' }, { action: 'rename', name: 'X' }] }, 'modifications.requestHeaders.1.action'],
    ['add without value', { responseHeaders: [{ action: 'add', name: 'X' }] }, 'modifications.responseHeaders.0.value'],
    ['bad header name', { requestHeaders: [{ action: 'remove', name: 'Bad Name' }] }, 'modifications.requestHeaders.0.name'],
    ['CRLF in a value', { requestHeaders: [{ action: 'add', name: 'X', value: 'a\r\nInjected: 1' }] }, 'modifications.requestHeaders.0.value'],
    ['empty body match', { bodyReplacements: [{ match: '', replace: 'x' }] }, 'modifications.bodyReplacements.0.match'],
    ['unknown field', { requestHeaders: [], colour: 'red' }, 'modifications.colour'],
    ['too many rules', { requestHeaders: Array.from({ length: 101 }, () => ({ action: 'remove', name: 'X' })) }, 'modifications.requestHeaders'],
  ];

  it.each(cases)('refuses %s at start and on PUT, naming the rule by its index', async (_what, modifications, field) => {
    const start = await server.call('POST', '/start', { targetUrl: upstreamUrl, modifications });
    expect(start.status, start.text).toBe(400);
    expect(start.json.field).toBe(field);
    expect(start.json.error).toMatch(/^modifications[.:]/);
    const session = await startSession(server, { targetUrl: upstreamUrl });
    const put = await server.call('PUT', `/${session.id}/modifications`, { modifications });
    expect(put.status, put.text).toBe(400);
    expect(put.json.field).toBe(field);
  });
});

describe('live replacement', () => {
  it('replaces the rules of a running session under keep-alive load: no failed request, no closed connection', async () => {
    const session = await startSession(server, { targetUrl: upstreamUrl });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const failures: string[] = [];
    const debugs = new Set<string | null>();
    const sockets = new Set<unknown>();
    let done = false;
    let count = 0;
    const loop = async (c: number) => {
      for (let i = 0; !done; i++) {
        try {
          const res = await get(session.proxyUrl, `/live/${c}/${i}`, {}, agent);
          count++;
          sockets.add(res.socket);
          if (res.status !== 200) failures.push(`${res.status} ${res.body}`);
          else debugs.add((JSON.parse(res.body) as { debug: string | null }).debug);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    };
    const clients = Array.from({ length: 4 }, (_, c) => loop(c));
    const changes = [
      { requestHeaders: [{ action: 'add', name: 'X-Debug', value: 'one' }] },
      { requestHeaders: [{ action: 'add', name: 'X-Debug', value: 'two' }], bodyReplacements: [{ match: 'live', replace: 'LIVE' }] },
      {},
      { requestHeaders: [{ action: 'add', name: 'X-Debug', value: 'three' }] },
    ];
    for (const modifications of changes) {
      await new Promise((r) => setTimeout(r, 200));
      const put = await server.call('PUT', `/${session.id}/modifications`, { modifications });
      expect(put.status, put.text).toBe(200);
      expect(put.json).toEqual({ modifications });
    }
    await new Promise((r) => setTimeout(r, 200));
    done = true;
    await Promise.all(clients);
    agent.destroy();
    expect(failures).toEqual([]);
    // Four keep-alive connections carried everything: none was closed by a replacement.
    expect(sockets.size).toBeLessThanOrEqual(4);
    expect([...debugs].sort()).toEqual(expect.arrayContaining(['one', 'two', 'three']));
    const entries: Entry[] = await entriesOf(server, session.id, count);
    expect(entries.some((e) => e.modified?.rules.includes('bodyReplacements[0]'))).toBe(true);
    expect((await server.call('GET', `/${session.id}/modifications`)).json).toEqual({ modifications: changes.at(-1) });
    expect((await server.call('GET', `/${session.id}`)).json.session.modifications).toEqual(changes.at(-1));
  });

  it('reaches sessions that run in proxy worker processes', async () => {
    const engine = await startEngine({ proxyWorkers: 1 });
    try {
      const { session } = await engine.recorder.startSession({ targetUrl: upstreamUrl, modifications: { urlRewrites: [{ match: '^/w/(.*)', replace: '/worker-$1' }] } });
      expect(JSON.parse((await timedRequest(session.proxyUrl, '/w/a')).body.toString()).url).toBe('/worker-a');
      await engine.recorder.updateModifications({ id: session.id, modifications: { urlRewrites: [{ match: '^/w/(.*)', replace: '/again-$1' }] } });
      expect(JSON.parse((await timedRequest(session.proxyUrl, '/w/b')).body.toString()).url).toBe('/again-b');
      await engine.recorder.updateModifications({ id: session.id, modifications: {} });
      expect(JSON.parse((await timedRequest(session.proxyUrl, '/w/c')).body.toString()).url).toBe('/w/c');
    } finally {
      await engine.close();
    }
  });
});
