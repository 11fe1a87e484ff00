/**
 * Saved session configs through REST, real fetch and curl against a real headless server: save, list, get, delete,
 * export → import round trips, the limit, bad inputs naming their field, persistence across a reopen of the data
 * dir, an unusable file set aside, and a saved config starting a session that records traffic.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_TOKEN, type TestServer } from '../test-support/server.js';
import { tempDir } from '../test-support/engine.js';
import { startUpstream, type Upstream } from '../test-support/upstream.js';
import { curl } from '../test-support/curl.js';
import { CONFIGS_FILE } from '../engine/configs/config-repository.js';

const STRIPE = { name: 'Stripe Dev', mode: 'reverse', targetUrl: 'https://api.stripe.com', filters: { includePaths: ['/v1/*'] } };
const RICH = {
  name: 'Shaped',
  mode: 'forward',
  filters: { excludeStatus: [404] },
  toxics: { http: { delayMs: 5, errorRate: 0.5, seed: 7 } },
  modifications: { responseHeaders: [{ action: 'add', name: 'X-Shaped', value: 'yes' }], bodyReplacements: [{ match: 'a+', replace: 'b', isRegex: true }] },
};

let server: TestServer;
let upstream: Upstream;
let dataDir: string;
let work: string;

beforeAll(async () => {
  dataDir = await tempDir('tr-configs-');
  work = await tempDir('tr-configs-files-');
  server = await startTestServer({ dataDir });
  upstream = await startUpstream();
});
afterAll(async () => {
  await server?.close();
  await upstream?.close();
  for (const dir of [dataDir, work]) if (dir) await fs.rm(dir, { recursive: true, force: true });
});

async function clear(s: TestServer = server): Promise<void> {
  const { json } = await s.call('GET', '/configs');
  for (const c of json.configs as Array<{ id: string }>) expect((await s.call('DELETE', `/configs/${c.id}`)).status).toBe(200);
}

const auth = ['-H', `Authorization: Bearer ${TEST_TOKEN}`];

describe('saved configs', () => {
  it('saves, lists, reads, exports and deletes', async () => {
    await clear();
    const saved = await server.call('POST', '/configs', STRIPE);
    expect(saved.status).toBe(201);
    const { name, ...config } = STRIPE;
    expect(saved.json.config).toEqual({ id: expect.any(String), name, createdAt: expect.any(String), config });
    expect(Date.parse(saved.json.config.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    const id = saved.json.config.id as string;

    expect((await server.call('GET', '/configs')).json).toEqual({ configs: [saved.json.config], total: 1, max: 10 });
    expect((await server.call('GET', `/configs/${id}`)).json).toEqual({ config: saved.json.config });

    const exported = await fetch(`${server.api}/configs/${id}/export`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toMatch(/^application\/json/);
    expect(exported.headers.get('content-disposition')).toBe('attachment; filename="stripe-dev.traffic-recorder.json"');
    expect(await exported.json()).toEqual(STRIPE);

    expect((await server.call('DELETE', `/configs/${id}`)).json).toEqual({ deleted: true, id });
    expect((await server.call('GET', '/configs')).json).toMatchObject({ configs: [], total: 0 });
    for (const [method, p] of [['GET', `/configs/${id}`], ['DELETE', `/configs/${id}`], ['GET', `/configs/${id}/export`]] as const) {
      const gone = await server.call(method, p);
      expect([gone.status, gone.json.code, gone.json.field], `${method} ${p}`).toEqual([404, 'not_found', 'configId']);
    }
  });

  it('round-trips through export and import with curl, as the reference writes it', async () => {
    await clear();
    const saved = await server.call('POST', '/configs', RICH);
    const file = path.join(work, 'config.json');
    const out = await curl([...auth, `${server.api}/configs/${saved.json.config.id}/export`, '-o', file]);
    expect([out.exitCode, out.status]).toEqual([0, 200]);
    const exported = await fs.readFile(file, 'utf8');
    expect(JSON.parse(exported)).toEqual(RICH);

    // The reference's command: -d @file, with the JSON content type.
    const imported = await curl([...auth, '-X', 'POST', `${server.api}/configs/import`, '-H', 'Content-Type: application/json', '-d', `@${file}`]);
    expect(imported.status).toBe(201);
    const copy = JSON.parse(imported.body.toString()).config;
    expect(copy).toMatchObject({ name: 'Shaped', config: saved.json.config.config });
    expect(copy.id).not.toBe(saved.json.config.id);
    const again = await curl([...auth, `${server.api}/configs/${copy.id}/export`]);
    expect(again.body.toString()).toBe(exported);
    expect((await server.call('GET', '/configs')).json.total).toBe(2);
  });

  it('imports a start config without a name under its target host', async () => {
    await clear();
    const res = await server.call('POST', '/configs/import', { targetUrl: 'http://127.0.0.1:9/base' });
    expect([res.status, res.json.config.name]).toEqual([201, '127.0.0.1:9']);
    const forward = await server.call('POST', '/configs/import', { mode: 'forward' });
    expect(forward.json.config.name).toBe('forward proxy');
  });

  it('starts a working session from a saved config, and from its exported file', async () => {
    await clear();
    const saved = await server.call('POST', '/configs', { name: 'Local upstream', targetUrl: upstream.url, filters: { includePaths: ['/json'] } });
    const { config } = (await server.call('GET', `/configs/${saved.json.config.id}`)).json;
    const started = await server.call('POST', '/start', { ...config.config, name: config.name });
    expect(started.status).toBe(201);
    expect(started.json.session).toMatchObject({ name: 'Local upstream', targetUrl: upstream.url, filters: { includePaths: ['/json'] } });
    const res = await fetch(`${started.json.session.proxyUrl}/json`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    await fetch(`${started.json.session.proxyUrl}/echo`).then((r) => r.arrayBuffer());
    await expect.poll(async () => (await server.call('GET', `/${started.json.session.id}/entries`)).json.total).toBe(1);

    const file = await curl([...auth, `${server.api}/configs/${config.id}/export`]);
    const fromFile = await server.call('POST', '/start', file.body.toString());
    expect([fromFile.status, fromFile.json.session?.name]).toEqual([201, 'Local upstream']);
    for (const id of [started.json.session.id, fromFile.json.session.id]) await server.call('POST', `/${id}/stop`);
  });

  it('refuses bad inputs with a 400 naming the field, and saves nothing', async () => {
    await clear();
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/configs', { mode: 'forward' }, 'name'],
      ['POST', '/configs', { name: '   ', mode: 'forward' }, 'name'],
      ['POST', '/configs', { name: 'x', mode: 'reverse' }, 'targetUrl'],
      ['POST', '/configs', { name: 'x', mode: 'forward', bogus: 1 }, 'bogus'],
      ['POST', '/configs', { name: 'x', mode: 'forward', toxics: { http: { delayMs: -1 } } }, 'toxics.http.delayMs'],
      ['POST', '/configs', { name: 'x', mode: 'forward', modifications: { urlRewrites: [{ match: '(', replace: '' }] } }, 'modifications.urlRewrites.0.match'],
      ['POST', '/configs', [STRIPE], 'body'],
      ['POST', '/configs/import', { mode: 'reverse' }, 'targetUrl'],
      ['POST', '/configs/import', { ...STRIPE, targetUrl: 'ftp://x' }, 'targetUrl'],
      // A listing's item is not an exported file.
      ['POST', '/configs/import', { id: 'c1', name: 'x', createdAt: '2026-01-01T00:00:00Z', config: { mode: 'forward' } }, 'id'],
      ['POST', '/configs/import', 'not json', ''],
    ];
    for (const [method, p, body, field] of cases) {
      const res = await server.call(method, p, body);
      expect([res.status, res.json.code], `${p} ${JSON.stringify(body)}: ${res.text}`).toEqual([400, 'bad_request']);
      if (field) expect(res.json.field, res.text).toBe(field);
      else expect(res.json.error).toMatch(/not valid JSON/);
    }
    expect((await server.call('GET', '/configs')).json.total).toBe(0);
  });

  it('wants the token', async () => {
    expect((await server.call('GET', '/configs', undefined, { authorization: '' })).status).toBe(401);
    expect((await server.call('POST', '/configs', STRIPE, { authorization: 'Bearer wrong' })).status).toBe(401);
  });
});

describe('the limit', () => {
  it('refuses the one past maxSavedConfigs with a 409 that says how to raise it, even when saves race', async () => {
    const dir = await tempDir('tr-configs-limit-');
    const s = await startTestServer({ dataDir: dir, limits: { maxSavedConfigs: 3 } });
    try {
      const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => s.call('POST', '/configs', { ...STRIPE, name: `c${i}` })));
      expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 409, 409]);
      const refused = answers.find((a) => a.status === 409)!;
      expect(refused.json.code).toBe('conflict');
      expect(refused.json.error).toMatch(/^at most 3 session configs may be saved, and 3 are: delete one first .*--max-saved-configs/);
      expect((await s.call('POST', '/configs/import', STRIPE)).status).toBe(409);
      const list = (await s.call('GET', '/configs')).json;
      expect([list.total, list.max]).toEqual([3, 3]);
      const file = JSON.parse(await fs.readFile(path.join(dir, CONFIGS_FILE), 'utf8'));
      expect(file.configs).toHaveLength(3);
      await s.call('DELETE', `/configs/${list.configs[0].id}`);
      expect((await s.call('POST', '/configs', STRIPE)).status).toBe(201);
    } finally {
      await s.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('persistence', () => {
  it('keeps the configs across a reopen of the data dir, in a private file', async () => {
    const dir = await tempDir('tr-configs-reopen-');
    try {
      let s = await startTestServer({ dataDir: dir });
      await s.call('POST', '/configs', STRIPE);
      await s.call('POST', '/configs', RICH);
      const before = (await s.call('GET', '/configs')).json;
      await s.close();
      const stat = await fs.stat(path.join(dir, CONFIGS_FILE));
      expect(stat.mode & 0o777).toBe(0o600);
      expect((await fs.readdir(dir)).filter((f) => f.includes(CONFIGS_FILE) && f !== CONFIGS_FILE)).toEqual([]);

      s = await startTestServer({ dataDir: dir });
      expect((await s.call('GET', '/configs')).json).toEqual(before);
      await s.call('DELETE', `/configs/${before.configs[0].id}`);
      await s.close();
      s = await startTestServer({ dataDir: dir });
      expect((await s.call('GET', '/configs')).json.configs.map((c: { name: string }) => c.name)).toEqual(['Shaped']);
      await s.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('sets an unreadable file aside and says so, never emptying it', async () => {
    const dir = await tempDir('tr-configs-corrupt-');
    try {
      await fs.writeFile(path.join(dir, CONFIGS_FILE), '{"version": 1, "configs": [');
      const s = await startTestServer({ dataDir: dir });
      const list = (await s.call('GET', '/configs')).json;
      expect(list).toMatchObject({ configs: [], total: 0, setAside: { problem: expect.stringMatching(/^is not valid JSON/) } });
      expect(await fs.readFile(list.setAside.file, 'utf8')).toBe('{"version": 1, "configs": [');
      expect(path.dirname(list.setAside.file)).toBe(dir);
      expect((await s.call('POST', '/configs', STRIPE)).status).toBe(201);
      await s.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('answers 507 naming the file when it cannot be read or written, and changes nothing it could not write', async () => {
    const dir = await tempDir('tr-configs-unwritable-');
    const file = path.join(dir, CONFIGS_FILE);
    try {
      await fs.mkdir(file);
      const s = await startTestServer({ dataDir: dir });
      const unreadable = await s.call('GET', '/configs');
      expect([unreadable.status, unreadable.json.code]).toEqual([507, 'storage_failed']);
      expect(unreadable.json.error).toBe(`cannot read the saved configs (${file}): a directory is in the way (EISDIR)`);
      // Opened again on the next call: now it can be.
      await fs.rmdir(file);
      expect((await s.call('POST', '/configs', STRIPE)).status).toBe(201);
      await fs.rm(file);
      await fs.mkdir(path.join(file, 'in-the-way'), { recursive: true });
      const unwritable = await s.call('POST', '/configs', RICH);
      expect([unwritable.status, unwritable.json.code]).toEqual([507, 'storage_failed']);
      expect(unwritable.json.error).toMatch(/^cannot write the saved configs /);
      expect((await s.call('GET', '/configs')).json.configs.map((c: { name: string }) => c.name)).toEqual(['Stripe Dev']);
      expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      await s.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps the configs that still validate from a file holding one that does not', async () => {
    const dir = await tempDir('tr-configs-partial-');
    try {
      const good = { id: 'good-1', name: 'Good', createdAt: '2026-01-01T00:00:00.000Z', config: { mode: 'forward' } };
      const bad = { id: 'bad-1', name: 'Bad', createdAt: '2026-01-01T00:00:00.000Z', config: { mode: 'sideways' } };
      const original = JSON.stringify({ version: 1, configs: [good, bad] });
      await fs.writeFile(path.join(dir, CONFIGS_FILE), original);
      const s = await startTestServer({ dataDir: dir });
      const list = (await s.call('GET', '/configs')).json;
      expect(list.configs).toEqual([good]);
      expect(list.setAside.problem).toMatch(/config 1 \("Bad"\): mode: must be "reverse" or "forward"/);
      expect(await fs.readFile(list.setAside.file, 'utf8')).toBe(original);
      await s.close();
      // What was kept is what the next open reads, with nothing left to set aside.
      const reopened = await startTestServer({ dataDir: dir });
      expect((await reopened.call('GET', '/configs')).json).toEqual({ configs: [good], total: 1, max: 10 });
      await reopened.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
