/**
 * The local mock store through its real REST routes (`/api/v1/mocks`, Mockarty's shapes) on a real headless
 * server: fetch and curl as clients, the data directory read back from disk, the server reopened on it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient } from '../../../src-shared/rest-client.js';
import { curl } from '../../test-support/curl.js';
import { tempDir } from '../../test-support/engine.js';
import { TEST_TOKEN, startTestServer, type TestServer } from '../../test-support/server.js';
import { MOCKS_FILE } from './mock-file.js';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };

/** A call against the server's origin (the mock routes are not under /api/v1/recorder). */
async function call(server: TestServer, method: string, url: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(server.base + url, {
    method,
    headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const userMock = {
  id: 'rec-get-user',
  namespace: 'sandbox',
  priority: 5,
  tags: ['recorded', 'users'],
  http: { route: '/api/users/:id', httpMethod: 'GET' },
  response: { statusCode: 200, headers: { 'Content-Type': ['application/json'] }, payload: { id: 1, name: 'Ann' }, delay: 0 },
};

describe('the mock store over REST', () => {
  let dataDir: string;
  let server: TestServer;

  beforeAll(async () => {
    dataDir = await tempDir('tr-mocks-');
    server = await startTestServer({ dataDir });
  });
  afterAll(async () => {
    await server?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('creates, overwrites, reads, patches and deletes a mock as Mockarty answers', async () => {
    expect(await call(server, 'POST', '/api/v1/mocks', userMock)).toEqual({ status: 200, json: { overwritten: false, mock: userMock } });
    const changed = { ...userMock, response: { ...userMock.response, statusCode: 201 } };
    expect(await call(server, 'POST', '/api/v1/mocks', changed)).toEqual({ status: 200, json: { overwritten: true, mock: changed } });
    expect(await call(server, 'GET', '/api/v1/mocks/rec-get-user')).toEqual({ status: 200, json: changed });

    // PATCH: top-level fields replace the mock's, null removes one; the result is checked whole.
    const patched = await call(server, 'PATCH', '/api/v1/mocks/rec-get-user', { tags: ['patched'], priority: 10, response: null, oneOf: { responses: [{ statusCode: 202 }] } });
    expect(patched.status).toBe(200);
    expect(patched.json).toEqual({ overwritten: true, mock: { ...userMock, tags: ['patched'], priority: 10, response: undefined, oneOf: { responses: [{ statusCode: 202 }] } } });
    expect(patched.json.mock).not.toHaveProperty('response');
    const incomplete = await call(server, 'PATCH', '/api/v1/mocks/rec-get-user', { oneOf: null });
    expect(incomplete).toMatchObject({ status: 400, json: { code: 'bad_request', field: 'response', error: 'response: is required (or oneOf, or proxy)' } });
    expect((await call(server, 'GET', '/api/v1/mocks/rec-get-user')).json.oneOf).toEqual({ responses: [{ statusCode: 202 }] });

    expect(await call(server, 'DELETE', '/api/v1/mocks/rec-get-user')).toEqual({ status: 200, json: { deleted: true, id: 'rec-get-user' } });
    expect(await call(server, 'GET', '/api/v1/mocks/rec-get-user')).toMatchObject({ status: 404, json: { code: 'not_found' } });
    expect(await call(server, 'DELETE', '/api/v1/mocks/rec-get-user')).toMatchObject({ status: 404 });
    expect(await call(server, 'PATCH', '/api/v1/mocks/rec-get-user', { priority: 1 })).toMatchObject({ status: 404 });
  });

  it('gives a mock without id one, and puts it in the default namespace', async () => {
    const { status, json } = await call(server, 'POST', '/api/v1/mocks', { http: { route: '/made-up' }, response: { payload: 'x' } });
    expect(status).toBe(200);
    expect(json.mock.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.mock.namespace).toBe('default');
    await call(server, 'DELETE', `/api/v1/mocks/${json.mock.id}`);
  });

  it('takes a batch as a JSON array, all or nothing, and lists with namespace, tags, search, offset and limit', async () => {
    const batch = Array.from({ length: 5 }, (_, i) => ({
      id: `list-${i}`,
      namespace: i < 3 ? 'alpha' : 'beta',
      tags: i % 2 === 0 ? ['even', 'listed'] : ['odd', 'listed'],
      http: { route: `/items/${i}`, httpMethod: i === 4 ? 'DELETE' : 'GET' },
      response: { payload: { i } },
    }));
    const saved = await call(server, 'POST', '/api/v1/mocks/batch', batch);
    expect(saved.status).toBe(200);
    expect(saved.json.total).toBe(5);
    expect(saved.json.items.map((m: { id: string }) => m.id)).toEqual(batch.map((m) => m.id));

    // One bad mock refuses the whole batch, naming it by its index; nothing of it is saved.
    const bad = [{ ...batch[0], id: 'never-saved' }, { id: 'bad', http: { route: '/x' }, response: { statusCode: 42 } }];
    expect(await call(server, 'POST', '/api/v1/mocks/batch', bad)).toMatchObject({ status: 400, json: { field: 'mocks.1.response.statusCode' } });
    expect(await call(server, 'GET', '/api/v1/mocks/never-saved')).toMatchObject({ status: 404 });
    expect(await call(server, 'POST', '/api/v1/mocks/batch', [])).toMatchObject({ status: 400, json: { field: 'mocks', error: 'mocks: give at least one mock' } });
    expect(await call(server, 'POST', '/api/v1/mocks/batch', { mocks: batch })).toMatchObject({ status: 400, json: { field: 'mocks' } });

    const ids = async (query: string) => (await call(server, 'GET', `/api/v1/mocks${query}`)).json;
    expect((await ids('?tags=listed')).items.map((m: { id: string }) => m.id)).toEqual(['list-0', 'list-1', 'list-2', 'list-3', 'list-4']);
    expect(await ids('?namespace=alpha&tags=even,listed')).toMatchObject({ total: 2, items: [{ id: 'list-0' }, { id: 'list-2' }] });
    expect(await ids('?namespace=beta')).toMatchObject({ total: 2, items: [{ id: 'list-3' }, { id: 'list-4' }] });
    expect(await ids('?search=ITEMS/4')).toMatchObject({ total: 1, items: [{ id: 'list-4' }] });
    expect(await ids('?search=delete')).toMatchObject({ total: 1, items: [{ id: 'list-4' }] });
    expect(await ids('?tags=listed&offset=1&limit=2')).toMatchObject({ total: 5, items: [{ id: 'list-1' }, { id: 'list-2' }] });
    expect(await ids('?namespace=nowhere')).toEqual({ items: [], total: 0 });
    expect((await call(server, 'GET', '/api/v1/namespaces')).json).toEqual({ namespaces: ['alpha', 'beta', 'default'] });
  });

  it('carries a batch as the whole JSON body from the shared REST client too, past the API\'s usual 1 MiB', async () => {
    const client = createRestClient({ server: server.base, token: () => TEST_TOKEN });
    // 3 MiB of payloads in one batch: the batch route takes up to 64 MiB, other routes keep the 1 MiB limit.
    const mocks = Array.from({ length: 3 }, (_, i) => ({ id: `big-${i}`, namespace: 'big', http: { route: `/big/${i}` }, response: { payload: 'b'.repeat(1024 * 1024) } }));
    const saved = await client.saveMocks({ mocks });
    expect(saved.total).toBe(3);
    expect(await client.listMocks({ namespace: 'big', limit: 1 })).toMatchObject({ total: 3, items: [{ id: 'big-0' }] });
    const tooBigForOthers = await call(server, 'POST', '/api/v1/recorder/start', { targetUrl: 'http://127.0.0.1:1', name: 'n'.repeat(2 * 1024 * 1024) });
    expect(tooBigForOthers).toMatchObject({ status: 400, json: { field: 'body' } });
    for (const { id } of mocks) await client.deleteMock({ id });
  });

  it('refuses bad inputs with a 400 naming the field', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/api/v1/mocks', { http: { route: '/a' }, response: { statusCode: 99 } }, 'response.statusCode'],
      ['POST', '/api/v1/mocks', { http: { route: 'a' }, response: {} }, 'http.route'],
      ['POST', '/api/v1/mocks', { http: { route: '^/a(' }, response: {} }, 'http.route'],
      ['POST', '/api/v1/mocks', { http: { route: '/a' } }, 'response'],
      ['POST', '/api/v1/mocks', { response: {} }, 'http'],
      ['POST', '/api/v1/mocks', { http: { route: '/a' }, response: { payload: '%%', decode: 'base64' } }, 'response.payload'],
      ['POST', '/api/v1/mocks', { http: { route: '/a' }, response: { headers: { 'X-A': 'one' } } }, 'response.headers.X-A'],
      ['POST', '/api/v1/mocks', { http: { route: '/a' }, response: {}, colour: 'red' }, 'colour'],
      ['POST', '/api/v1/mocks', [userMock], 'body'],
      ['PATCH', '/api/v1/mocks/x', { id: 'y' }, 'id'],
      ['PATCH', '/api/v1/mocks/x', { priority: 'high' }, 'priority'],
      ['GET', '/api/v1/mocks?limit=5000', undefined, 'limit'],
      ['GET', '/api/v1/mocks?namespace=a%20b', undefined, 'namespace'],
    ];
    for (const [method, url, body, field] of cases) {
      const res = await call(server, method, url, body);
      expect(res, `${method} ${url} ${JSON.stringify(body)}`).toMatchObject({ status: 400, json: { code: 'bad_request', field } });
      // The words name it too (an unknown field is "unknown field colour").
      expect(res.json.error, field).toContain(field);
    }
    const noToken = await fetch(`${server.base}/api/v1/mocks`);
    expect(noToken.status).toBe(401);
  });

  it('works with curl as written for Mockarty', async () => {
    const created = await curl(['-X', 'POST', `${server.base}/api/v1/mocks`, '-H', `Authorization: Bearer ${TEST_TOKEN}`, '-H', 'Content-Type: application/json', '-d', JSON.stringify({ ...userMock, id: 'curl-mock' })]);
    expect(created.status).toBe(200);
    expect(JSON.parse(created.body.toString())).toMatchObject({ overwritten: false, mock: { id: 'curl-mock', namespace: 'sandbox' } });
    const listed = await curl([`${server.base}/api/v1/mocks?namespace=sandbox&tags=users`, '-H', `Authorization: Bearer ${TEST_TOKEN}`]);
    expect(JSON.parse(listed.body.toString())).toMatchObject({ total: 1, items: [{ id: 'curl-mock' }] });
    const refused = await curl(['-X', 'POST', `${server.base}/api/v1/mocks/batch`, '-H', `Authorization: Bearer ${TEST_TOKEN}`, '-H', 'Content-Type: application/json', '-d', '[{"http":{"route":"/a"}}]']);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body.toString())).toMatchObject({ field: 'mocks.0.response' });
  });

  it('keeps the mocks in the data directory as one private JSON file, read again when the server reopens', async () => {
    await call(server, 'POST', '/api/v1/mocks', { ...userMock, id: 'kept', ttl: 0 });
    const file = path.join(dataDir, MOCKS_FILE);
    const onDisk = JSON.parse(await fs.readFile(file, 'utf8')) as { version: number; mocks: Array<{ mock: { id: string } }> };
    expect(onDisk.version).toBe(1);
    expect(onDisk.mocks.map((r) => r.mock.id)).toContain('kept');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const before = (await call(server, 'GET', '/api/v1/mocks?limit=1000')).json;

    await server.close();
    server = await startTestServer({ dataDir });
    const after = (await call(server, 'GET', '/api/v1/mocks?limit=1000')).json;
    expect(after).toEqual(before);
    expect((await call(server, 'GET', '/api/v1/mocks/kept')).json).toEqual({ ...userMock, id: 'kept', ttl: 0 });
    // No temporary file is left beside it.
    expect((await fs.readdir(dataDir)).filter((f) => f.startsWith(MOCKS_FILE))).toEqual([MOCKS_FILE]);
  });
});

describe('a mocks file that cannot be read as mocks', () => {
  it('is moved aside, never emptied, and the list says so; the store works again', async () => {
    const dataDir = await tempDir('tr-mocks-bad-');
    const file = path.join(dataDir, MOCKS_FILE);
    const damaged = '{"version":1,"mocks":[{"mock":{"id":"half"';
    await fs.writeFile(file, damaged);
    const server = await startTestServer({ dataDir });
    try {
      const listed = (await call(server, 'GET', '/api/v1/mocks')).json;
      expect(listed).toMatchObject({ items: [], total: 0, setAside: { problem: expect.stringMatching(/^not JSON/) } });
      const aside = listed.setAside.file as string;
      expect(path.dirname(aside)).toBe(dataDir);
      expect(path.basename(aside)).toMatch(/^mocks\.json\.bad-/);
      expect(await fs.readFile(aside, 'utf8')).toBe(damaged);
      // A new save writes a fresh file and leaves the damaged one alone.
      expect((await call(server, 'POST', '/api/v1/mocks', { id: 'fresh', http: { route: '/a' }, response: {} })).status).toBe(200);
      expect(JSON.parse(await fs.readFile(file, 'utf8')).mocks).toHaveLength(1);
      expect(await fs.readFile(aside, 'utf8')).toBe(damaged);
    } finally {
      await server.close();
    }

    // Valid JSON that is not a mocks file (a mock that breaks the format) is set aside the same way.
    await fs.writeFile(file, JSON.stringify({ version: 1, mocks: [{ mock: { id: 'x', http: { route: 'no-slash' }, response: {} }, savedAt: 1 }] }));
    const again = await startTestServer({ dataDir });
    try {
      const listed = (await call(again, 'GET', '/api/v1/mocks')).json;
      expect(listed.setAside.problem).toMatch(/^mocks\.0\.mock\.http\.route: /);
      expect(listed.total).toBe(0);
    } finally {
      await again.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
