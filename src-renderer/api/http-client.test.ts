import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHttpClient, parseStreamFrame } from './http-client.js';
import { describeError, isUnauthorized, RecorderClientError } from './recorder-client.js';
import { tokenFromFragment } from './token.js';

afterEach(() => vi.unstubAllGlobals());

function stubFetch(status: number, body: unknown) {
  const calls: { url: string; init: RequestInit }[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  });
  return calls;
}

describe('createHttpClient', () => {
  it('sends the bearer token and builds paths from the route table', async () => {
    const calls = stubFetch(200, { entries: [], total: 0, offset: 0, limit: 1000 });
    const client = createHttpClient({ token: 'T', origin: 'http://h:1' });
    await client.listEntries({ id: 's/1', offset: 0, limit: 1000, bodies: false });
    expect(calls[0]?.url).toBe('http://h:1/api/v1/recorder/s%2F1/entries?offset=0&limit=1000&bodies=false');
    expect((calls[0]?.init.headers as Record<string, string>).Authorization).toBe('Bearer T');
  });

  it('puts only the patch fields in a PATCH body', async () => {
    const calls = stubFetch(200, { entry: {} });
    const client = createHttpClient({ token: 'T', origin: 'http://h:1' });
    await client.patchEntry({ id: 's', entryId: 'e', tags: ['bug'] });
    expect(calls[0]?.url).toBe('http://h:1/api/v1/recorder/s/entries/e');
    expect(calls[0]?.init.method).toBe('PATCH');
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({ tags: ['bug'] });
  });

  it('asks the body search endpoint with the query escaped', async () => {
    const calls = stubFetch(200, { ids: ['a'] });
    const client = createHttpClient({ token: 'T', origin: 'http://h:1' });
    expect(await client.searchEntries({ id: 's', q: 'a b&c' })).toEqual({ ids: ['a'] });
    expect(calls[0]?.url).toBe('http://h:1/api/v1/recorder/s/entries/search?q=a%20b%26c');
  });

  it('turns JSON errors into typed errors and reports 401', async () => {
    stubFetch(400, { error: 'toxics: not supported yet', code: 'not_supported', field: 'toxics' });
    const client = createHttpClient({ token: 'T', origin: 'http://h:1' });
    const error = await client.startSession({ targetUrl: 'http://x', toxics: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecorderClientError);
    expect(describeError(error)).toBe('toxics: not supported yet');
    expect((error as RecorderClientError).field).toBe('toxics');

    stubFetch(401, { error: 'missing or wrong token', code: 'unauthorized' });
    let told = false;
    const unauthorized = createHttpClient({ token: 'bad', origin: 'http://h:1', onUnauthorized: () => { told = true; } });
    const e401 = await unauthorized.listSessions().catch((e: unknown) => e);
    expect(isUnauthorized(e401)).toBe(true);
    expect(told).toBe(true);
  });
});

describe('machine operations over REST', () => {
  it('uses the MACHINE_ROUTES paths, sends POST options as JSON and reads the PEM as text', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      if (url.endsWith('/ca/download')) return new Response('-----BEGIN CERTIFICATE-----\nAA==\n', { status: 200, headers: { 'content-type': 'application/x-pem-file' } });
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    });
    const client = createHttpClient({ token: 'T', origin: 'http://h:1' });
    expect(await client.caDownload()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    await client.caStatus();
    await client.caGenerate();
    await client.trustStatus();
    await client.trustInstall({ scope: 'user', dryRun: true });
    await client.trustUninstall();
    await client.systemProxyStatus();
    await client.systemProxyOn({ sessionId: 's1', dryRun: true });
    await client.systemProxyOff();
    await client.sessionSetup('s/1');
    await client.openBrowser('s1', { url: 'https://example.com/' });
    const seen = calls.map((c) => `${c.init.method} ${c.url.replace('http://h:1/api/v1/recorder', '')} ${c.init.body ?? ''}`.trim());
    expect(seen).toEqual([
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
    stubFetch(403, { error: 'pkexec: authentication failed (administrator rights were refused)', code: 'forbidden' });
    const client = createHttpClient({ token: 'T', origin: 'http://h:1' });
    expect(await client.trustInstall({ scope: 'system' }).catch((e: unknown) => e)).toMatchObject({ status: 403, code: 'forbidden' });
    stubFetch(400, { error: 'no desktop proxy backend', code: 'not_supported' });
    expect(await client.systemProxyStatus().catch((e: unknown) => e)).toMatchObject({ status: 400, code: 'not_supported' });
  });
});

describe('stream frames and the token fragment', () => {
  it('accepts single messages and batch frames', () => {
    const entry = { type: 'entry', entry: { id: '__evict__', notes: 'e1' } };
    expect(parseStreamFrame(JSON.stringify(entry))).toEqual([entry]);
    expect(parseStreamFrame(JSON.stringify({ type: 'batch', messages: [entry, entry] }))).toHaveLength(2);
  });
  it('reads the token from #token=, not from anything else', () => {
    expect(tokenFromFragment('#token=abc')).toBe('abc');
    expect(tokenFromFragment('#x=1&token=a%2Bb')).toBe('a+b');
    expect(tokenFromFragment('#')).toBeNull();
    expect(tokenFromFragment('')).toBeNull();
  });
});
