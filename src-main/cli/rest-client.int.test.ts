/**
 * The REST client of the operation table (the CLI's, and the renderer's in a browser) against a real HTTP server on
 * 127.0.0.1 that records what arrives and answers what the test says: paths, queries and bodies built from the
 * table, the token, typed errors, bytes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RecorderClientError, createRestClient } from '../../src-shared/rest-client.js';

function createHttpClient(options: { token: string; origin: string; onUnauthorized?: () => void }) {
  return createRestClient({ server: options.origin, token: () => options.token, onUnauthorized: options.onUnauthorized });
}

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

let server: http.Server;
let origin: string;
let seen: Seen[];
let answer: (seen: Seen) => { status: number; type: string; body: string | Buffer; headers?: Record<string, string> };

const json = (status: number, body: unknown) => () => ({ status, type: 'application/json', body: JSON.stringify(body) });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString() };
      if (req.headers.authorization) s.authorization = req.headers.authorization;
      seen.push(s);
      const a = answer(s);
      res.writeHead(a.status, { 'content-type': a.type, ...a.headers }).end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  seen = [];
  answer = json(200, {});
});

const path = (s: Seen) => s.url.replace('/api/v1/recorder', '');

describe('createRestClient', () => {
  it('sends the bearer token and builds paths and queries from the operation table', async () => {
    answer = json(200, { entries: [], total: 0, offset: 0, limit: 1000 });
    const client = createHttpClient({ token: 'T', origin });
    await client.listEntries({ id: 's/1', offset: 0, limit: 1000, bodies: false });
    expect(path(seen[0]!)).toBe('/s%2F1/entries?offset=0&limit=1000&bodies=false');
    expect(seen[0]!.authorization).toBe('Bearer T');
  });

  it('puts only the non-path fields in a PATCH body', async () => {
    answer = json(200, { entry: {} });
    await createHttpClient({ token: 'T', origin }).patchEntry({ id: 's', entryId: 'e', tags: ['bug'] });
    expect(seen[0]).toMatchObject({ method: 'PATCH', url: '/api/v1/recorder/s/entries/e' });
    expect(JSON.parse(seen[0]!.body)).toEqual({ tags: ['bug'] });
  });

  it('asks the body search endpoint with the query escaped', async () => {
    answer = json(200, { ids: ['a'] });
    expect(await createHttpClient({ token: 'T', origin }).searchEntries({ id: 's', q: 'a b&c' })).toEqual({ ids: ['a'] });
    expect(path(seen[0]!)).toBe('/s/entries/search?q=a+b%26c');
  });

  it('turns JSON errors into typed errors and reports 401; a non-JSON error keeps its status', async () => {
    answer = json(400, { error: 'toxics: not supported yet', code: 'not_supported', field: 'toxics' });
    const client = createHttpClient({ token: 'T', origin });
    const error = await client.startSession({ targetUrl: 'http://x', toxics: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecorderClientError);
    expect((error as RecorderClientError).message).toBe('toxics: not supported yet');
    expect((error as RecorderClientError).field).toBe('toxics');

    answer = json(401, { error: 'missing or wrong token', code: 'unauthorized' });
    let told = false;
    const unauthorized = createHttpClient({ token: 'bad', origin, onUnauthorized: () => (told = true) });
    expect(await unauthorized.listSessions().catch((e: unknown) => e)).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(told).toBe(true);

    answer = () => ({ status: 502, type: 'text/html', body: '<h1>Bad Gateway</h1>' });
    expect(await client.ports().catch((e: unknown) => e)).toMatchObject({ status: 502, code: 'http' });
  });

  it('says it cannot reach a server that is not there', async () => {
    const gone = http.createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const port = (gone.address() as AddressInfo).port;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    const error = await createHttpClient({ token: 'T', origin: `http://127.0.0.1:${port}` }).listSessions().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'network', status: 0, message: expect.stringMatching(/cannot reach/) });
  });
});

describe('machine operations over REST', () => {
  it('uses the table paths, sends POST options as JSON and reads the PEM as bytes with its file name', async () => {
    answer = (s) =>
      s.url.endsWith('/ca/download')
        ? { status: 200, type: 'application/x-pem-file', body: '-----BEGIN CERTIFICATE-----\nAA==\n', headers: { 'content-disposition': 'attachment; filename="traffic-recorder-ca.pem"' } }
        : { status: 200, type: 'application/json', body: '{}' };
    const client = createHttpClient({ token: 'T', origin });
    const pem = await client.caDownload();
    expect(new TextDecoder().decode(pem.bytes)).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(pem).toMatchObject({ contentType: 'application/x-pem-file', fileName: 'traffic-recorder-ca.pem' });
    await client.caStatus();
    await client.caGenerate();
    await client.trustStatus();
    await client.trustInstall({ scope: 'user', dryRun: true });
    await client.trustUninstall();
    await client.systemProxyStatus();
    await client.systemProxyOn({ sessionId: 's1', dryRun: true });
    await client.systemProxyOff();
    await client.sessionSetup({ id: 's/1' });
    await client.openBrowser({ id: 's1', url: 'https://example.com/' });
    expect(seen.map((s) => `${s.method} ${path(s)} ${s.body}`.trim())).toEqual([
      'GET /ca/download',
      'GET /ca/status',
      'POST /ca/generate {}',
      'GET /ca/trust',
      'POST /ca/trust/install {"scope":"user","dryRun":true}',
      'POST /ca/trust/uninstall {}',
      'GET /system-proxy',
      'POST /system-proxy/on {"sessionId":"s1","dryRun":true}',
      'POST /system-proxy/off {}',
      'GET /s%2F1/setup',
      'POST /s1/open-browser {"url":"https://example.com/"}',
    ]);
  });

  it('keeps a 403 refusal and a 400 not_supported as typed errors', async () => {
    const client = createHttpClient({ token: 'T', origin });
    answer = json(403, { error: 'pkexec: authentication failed (administrator rights were refused)', code: 'forbidden' });
    expect(await client.trustInstall({ scope: 'system' }).catch((e: unknown) => e)).toMatchObject({ status: 403, code: 'forbidden' });
    answer = json(400, { error: 'no desktop proxy backend', code: 'not_supported' });
    expect(await client.systemProxyStatus().catch((e: unknown) => e)).toMatchObject({ status: 400, code: 'not_supported' });
  });
});
