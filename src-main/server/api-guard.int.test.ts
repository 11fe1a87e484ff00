/**
 * The API guard against every spelling of a path: exact request targets over raw sockets (clients such as curl
 * or fetch would normalise them), with and without the token, HTTP and WebSocket upgrades alike.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_TOKEN, type TestServer } from '../test-support/server.js';
import { startUpstream, type Upstream } from '../test-support/upstream.js';

let server: TestServer;
let upstream: Upstream;
let sessionId: string;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  upstream = await startUpstream();
  port = server.headless.server.port;
  const started = await server.call('POST', '/start', { name: 'guard', targetUrl: upstream.url });
  expect(started.status).toBe(201);
  sessionId = started.json.session.id;
});
afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/** One request with this exact request line; the server closes after answering. */
function raw(method: string, target: string, options: { headers?: string[]; body?: string; upgrade?: boolean } = {}): Promise<RawResponse> {
  const body = options.body ?? '';
  const connection = options.upgrade ? 'Connection: Upgrade' : 'Connection: close';
  const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, connection, ...(options.headers ?? [])];
  if (body) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`));
    const chunks: Buffer[] = [];
    const parse = (): RawResponse | undefined => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split === -1) return undefined;
      const head = text.slice(0, split);
      const length = method === 'HEAD' || /^HTTP\/1\.1 101 /.test(head) ? 0 : Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? -1);
      const rest = text.slice(split + 4);
      if (length >= 0 && rest.length < length) return undefined;
      return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: length >= 0 ? rest.slice(0, length) : rest };
    };
    // A refused upgrade may leave the socket open: a complete response is enough.
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const res = parse();
      if (res && (method === 'HEAD' || res.status === 101 || /content-length/i.test(res.head))) {
        socket.destroy();
        resolve(res);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(parse() ?? { status: 0, head: '', body: '' }));
  });
}

const WS_HEADERS = ['Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];
const TOKEN_HEADER = `Authorization: Bearer ${TEST_TOKEN}`;

/** Spellings the router would decode or fold into an API route: refused with 400 before any handler runs. */
function nonCanonicalCases(): Array<[string, string, string?]> {
  return [
    ['GET', '/%61pi/v1/recorder/sessions'],
    ['GET', '/api/v1/recorder/%73essions'],
    ['GET', '/api/v1/r%65corder/sessions'],
    ['POST', '/%61pi/v1/recorder/start', JSON.stringify({ name: 'bypass', targetUrl: upstream.url })],
    ['POST', '/%61pi/v1/recorder/ca/trust/install', '{"dryRun": true}'],
    ['POST', '/%61pi/v1/recorder/system-proxy/on', JSON.stringify({ sessionId, dryRun: true })],
    ['POST', '/%61pi/v1/recorder/no-such-session/open-browser', '{"headless": true}'],
    ['GET', '//api/v1/recorder/sessions'],
    ['GET', '/api/v1//recorder/sessions'],
    ['GET', '/./api/v1/recorder/sessions'],
    ['GET', '/ui/recorder/../../api/v1/recorder/sessions'],
    ['GET', '/ui/recorder/..%2f..%2fapi/v1/recorder/sessions'],
    ['GET', '/api/v1/health/%2e%2e/recorder/sessions'],
    ['GET', '/api/v1/recorder/%2e%2e'],
    ['GET', '/api/v1/recorder/a%2Fb'],
    ['GET', '/api/v1/recorder/a%5Cb'],
    ['GET', '/api/v1/recorder/%00'],
    ['GET', '/api/v1/recorder/%2561'],
    ['GET', '/api/v1/recorder/sessions;jsessionid=1'],
    ['GET', '/api/v1/health#/../recorder/sessions'],
    ['GET', `http://127.0.0.1:${port}/api/v1/recorder/sessions`],
    ['GET', `http://127.0.0.1:${port}/%61pi/v1/recorder/sessions`],
    ['OPTIONS', '*'],
  ];
}

describe('request targets in a second spelling are refused before routing', () => {
  it('answers 400 to every non-canonical spelling, without the token and with it, and runs nothing', async () => {
    const sessionsBefore = (await server.call('GET', '/sessions')).json.total;
    for (const [method, target, body] of nonCanonicalCases()) {
      for (const headers of [[], [TOKEN_HEADER]]) {
        const res = await raw(method, target, { headers, body });
        expect(res.status, `${method} ${target} ${headers.length ? 'with' : 'without'} token`).toBe(400);
        expect(JSON.parse(res.body), `${method} ${target}`).toMatchObject({ code: 'bad_request', error: expect.stringMatching(/canonical/) });
      }
    }
    expect((await server.call('GET', '/sessions')).json.total).toBe(sessionsBefore);
  });

  it('answers 400 to a malformed percent-escape (the router refuses it itself)', async () => {
    expect((await raw('GET', '/%61pi/v1/recorder/%zz')).status).toBe(400);
  });

  it('refuses a WebSocket upgrade in a second spelling instead of switching protocols', async () => {
    for (const target of [`/%61pi/v1/recorder/${sessionId}/ws`, `/api/v1/recorder/${sessionId}/%77s`, `//api/v1/recorder/${sessionId}/ws`]) {
      for (const auth of [[], [TOKEN_HEADER]]) {
        const res = await raw('GET', target, { headers: [...WS_HEADERS, ...auth], upgrade: true });
        expect(res.status, target).toBe(400);
      }
    }
  });
});

describe('the token guards every route but the UI shell and the health check, whatever the spelling', () => {
  it('answers 401 without the token to canonical paths that are not public, matched or not', async () => {
    const targets: Array<[string, string]> = [
      ['GET', '/api/v1/recorder/sessions'],
      ['HEAD', '/api/v1/recorder/sessions'],
      ['OPTIONS', '/api/v1/recorder/sessions'],
      ['GET', '/API/v1/recorder/sessions'],
      ['GET', '/api/v1/recorder/sessions/'],
      ['GET', '/api/v1/recorder/sessions?/../../health'],
      ['GET', '/api/v1/healthz'],
      ['GET', `/api/v1/recorder/${sessionId}`],
      ['GET', `/api/v1/recorder/${sessionId}/setup`],
      ['POST', '/api/v1/recorder/ca/generate'],
      ['GET', '/favicon.ico'],
      ['GET', '/api/v1/recorder/ca/download'],
    ];
    for (const [method, target] of targets) {
      const res = await raw(method, target);
      expect(res.status, `${method} ${target}`).toBe(401);
    }
  });

  it('refuses the canonical WebSocket stream without the token and accepts it with the token', async () => {
    expect((await raw('GET', `/api/v1/recorder/${sessionId}/ws`, { headers: WS_HEADERS, upgrade: true })).status).toBe(401);
    const accepted = await rawUpgrade(`/api/v1/recorder/${sessionId}/ws`, [...WS_HEADERS, 'Connection: Upgrade', TOKEN_HEADER]);
    expect(accepted).toMatch(/^HTTP\/1\.1 101 /);
  });

  it('serves the health check and the UI shell without the token', async () => {
    expect((await raw('GET', '/api/v1/health')).status).toBe(200);
    expect((await raw('GET', '/api/v1/health?probe=1')).status).toBe(200);
    expect((await raw('HEAD', '/api/v1/health')).status).toBe(200);
    expect((await raw('GET', '/')).status).toBe(302);
    expect((await raw('GET', '/ui/recorder')).status).toBe(302);
    // 200 with a built renderer, 503 ("run npm run build") without one: either way, not a token prompt.
    expect([200, 503]).toContain((await raw('GET', '/ui/recorder/')).status);
    expect([200, 503]).toContain((await raw('GET', '/ui/recorder/sessions/abc')).status);
  });

  it('still serves canonical paths with the token, including escapes that are not ambiguous', async () => {
    expect((await raw('GET', '/api/v1/recorder/sessions', { headers: [TOKEN_HEADER] })).status).toBe(200);
    expect((await raw('GET', `/api/v1/recorder/${sessionId}/entries?offset=0&limit=5`, { headers: [TOKEN_HEADER] })).status).toBe(200);
    const spaced = await raw('GET', '/api/v1/recorder/no%20such%20id', { headers: [TOKEN_HEADER] });
    expect(spaced.status).toBe(404);
    expect(JSON.parse(spaced.body)).toMatchObject({ code: 'not_found' });
  });
});

/** Send an upgrade request and resolve with the response head, then drop the socket. */
function rawUpgrade(target: string, headers: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write([`GET ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...headers].join('\r\n') + '\r\n\r\n'),
    );
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(text.slice(0, text.indexOf('\r\n\r\n')));
      }
    });
    socket.on('error', reject);
  });
}

describe('refused upgrades', () => {
  /** A refused WebSocket upgrade: the server must close the socket itself, or each one holds a descriptor for ever. */
  function refusedUpgrade(target: string, token?: string): Promise<{ reply: string }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let reply = '';
      socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
      socket.once('error', reject);
      // We never close it ourselves: only the server's end of the connection resolves this.
      socket.once('end', () => resolve({ reply }));
      socket.write(
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}\r\n`,
      );
    });
  }

  it('are answered and then closed by the server, with or without the token', async () => {
    const noToken = await refusedUpgrade(`/api/v1/recorder/${sessionId}/ws`);
    expect(noToken.reply).toMatch(/^HTTP\/1\.1 401 /);
    const wrongSpelling = await refusedUpgrade(`/api/v1/recorder/${sessionId}/./ws`, TEST_TOKEN);
    expect(wrongSpelling.reply).toMatch(/^HTTP\/1\.1 400 /);
    const unknownRoute = await refusedUpgrade('/api/v1/recorder/no/such/route/ws', TEST_TOKEN);
    expect(unknownRoute.reply).toMatch(/^HTTP\/1\.1 404 /);
  });
});

it('ends a refused upgrade whose URL the router itself rejects (an overlong UTF-8 escape)', async () => {
  const socket = net.connect(port, '127.0.0.1');
  let reply = '';
  socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
  const ended = new Promise<void>((r) => socket.once('end', () => r()));
  socket.write(
    `GET /api/v1/recorder/${sessionId}/ws%c0%af/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  await ended;
  expect(reply).toMatch(/^HTTP\/1\.1 400 /);
  socket.destroy();
});
