/** The reference's saved-config endpoints answer "not supported yet" in words, as mapLocal at start does, never a 404. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

describe('saved configs', () => {
  it.each([
    ['GET', '/configs', undefined],
    ['POST', '/configs', { name: 'Stripe Dev', mode: 'reverse', targetUrl: 'https://api.stripe.com' }],
    ['POST', '/configs/import', { name: 'x' }],
    ['GET', '/configs/cfg-1', undefined],
    ['DELETE', '/configs/cfg-1', undefined],
    ['GET', '/configs/cfg-1/export', undefined],
  ] as const)('%s %s is refused as not supported, naming the feature', async (method, path, body) => {
    const res = await server.call(method, path, body);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'not_supported', field: 'configs' });
    expect(res.json.error).toMatch(/^configs: saved session configs are not supported yet by this version of Traffic Recorder; .*POST \/start/);
  });

  it('answers as mapLocal at start does', async () => {
    const mapLocal = await server.call('POST', '/start', { mode: 'forward', mapLocal: { enabled: true } });
    const configs = await server.call('GET', '/configs');
    expect([configs.status, configs.json.code]).toEqual([mapLocal.status, mapLocal.json.code]);
  });

  it('still wants the token', async () => {
    const res = await server.call('GET', '/configs', undefined, { authorization: '' });
    expect(res.status).toBe(401);
  });
});
