/**
 * Recorded content must never run as one of the API's pages, and the UI may talk only to its own origin:
 * real recorded bodies through a real session, read back with fetch, and the UI's headers as served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_TOKEN, type TestServer } from '../test-support/server.js';
import { startUpstream, type Upstream } from '../test-support/upstream.js';

let server: TestServer;
let upstream: Upstream;
let sessionId: string;
const entryIds = new Map<string, string>();

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const BODIES: Array<[string, string, Buffer]> = [
  ['html', 'text/html; charset=utf-8', Buffer.from('<script>fetch("/api/v1/recorder/sessions")</script>')],
  ['svg', 'image/svg+xml', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')],
  ['png', 'image/png', PNG],
  ['js', 'application/javascript', Buffer.from('alert(1)')],
];

beforeAll(async () => {
  server = await startTestServer();
  upstream = await startUpstream();
  const started = await server.call('POST', '/start', { name: 'content safety', targetUrl: upstream.url });
  sessionId = started.json.session.id;
  const proxyUrl: string = started.json.session.proxyUrl;
  // /echo answers with the request's body and content type, so each entry's response body is the recorded page.
  for (const [name, type, bytes] of BODIES) {
    const res = await fetch(`${proxyUrl}/echo?kind=${name}`, { method: 'POST', headers: { 'content-type': type }, body: bytes });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
  const deadline = Date.now() + 10_000;
  while (entryIds.size < BODIES.length && Date.now() < deadline) {
    for (const entry of (await server.call('GET', `/${sessionId}/entries?bodies=false`)).json.entries) {
      entryIds.set(new URL(entry.request.url).searchParams.get('kind')!, entry.id);
    }
    if (entryIds.size < BODIES.length) await new Promise((r) => setTimeout(r, 20));
  }
  expect(entryIds.size).toBe(BODIES.length);
});
afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

function body(kind: string, which: 'request' | 'response', query = ''): Promise<Response> {
  return fetch(`${server.api}/${sessionId}/entries/${entryIds.get(kind)}/body/${which}${query}`, {
    headers: { authorization: `Bearer ${TEST_TOKEN}` },
  });
}

describe('recorded bodies are served as inert downloads', () => {
  it('sandboxes, never sniffs and downloads HTML, SVG and script bodies, inline or not', async () => {
    for (const kind of ['html', 'svg', 'js']) {
      for (const which of ['request', 'response'] as const) {
        for (const query of ['', '?inline=1', '?decoded=1&inline=1']) {
          const res = await body(kind, which, query);
          expect(res.status, `${kind} ${which}${query}`).toBe(200);
          expect(res.headers.get('content-security-policy'), `${kind} ${which}${query}`).toBe('sandbox');
          expect(res.headers.get('x-content-type-options')).toBe('nosniff');
          expect(res.headers.get('content-disposition'), `${kind} ${which}${query}`).toBe('attachment');
          // The bytes and their recorded type are unchanged: the UI still offers them as downloads.
          expect(Buffer.from(await res.arrayBuffer())).toEqual(BODIES.find(([n]) => n === kind)![2]);
        }
      }
    }
  });

  it('shows a raster image inline only when asked, still sandboxed', async () => {
    const asked = await body('png', 'response', '?inline=1');
    expect(asked.headers.get('content-type')).toBe('image/png');
    expect(asked.headers.get('content-disposition')).toBe('inline');
    expect(asked.headers.get('content-security-policy')).toBe('sandbox');
    expect(asked.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await asked.arrayBuffer())).toEqual(PNG);
    const plain = await body('png', 'response');
    expect(plain.headers.get('content-disposition')).toBe('attachment');
    await plain.arrayBuffer();
  });
});

describe('the headless UI talks only to its own origin', () => {
  function directives(csp: string | null): Map<string, string> {
    const map = new Map<string, string>();
    for (const part of (csp ?? '').split(';')) {
      const [name, ...values] = part.trim().split(/\s+/);
      if (name) map.set(name, values.join(' '));
    }
    return map;
  }

  it('allows connections to self only, on the shell, its client-side routes and its assets', async () => {
    const shell = await fetch(`${server.base}/ui/recorder/`);
    const html = await shell.text();
    expect(shell.status).toBe(200);
    const asset = /src="\.?\/?([^"]+\.js)"/.exec(html)?.[1];
    const urls = [`${server.base}/ui/recorder/`, `${server.base}/ui/recorder/sessions/abc`];
    if (asset) urls.push(new URL(asset, `${server.base}/ui/recorder/`).href);
    for (const url of urls) {
      const res = await fetch(url);
      await res.arrayBuffer();
      const csp = directives(res.headers.get('content-security-policy'));
      expect(csp.get('connect-src'), url).toBe("'self'");
      expect(csp.get('default-src'), url).toBe("'self'");
      expect(res.headers.get('x-content-type-options'), url).toBe('nosniff');
    }
  });
});
