/**
 * One session's log cannot grow (a folder sits where its next segment file goes): the other session's entries and
 * bodies are still saved, the storage state says `failing` on the API, the CLI warns on stderr, and once the obstacle
 * is gone what waited in memory reaches the disk and the state is `ok` again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { Session, StorageStatus } from '../../src-shared/model.js';
import { runCli } from '../test-support/child.js';
import { startTestServer, TEST_TOKEN, type TestServer } from '../test-support/server.js';
import { startUpstream, type Upstream } from '../test-support/upstream.js';
import { storageWarning } from './format.js';

let server: TestServer;
let upstream: Upstream;
let dataDir: string;
beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join((await import('node:os')).tmpdir(), 'tr-storage-warning-'));
  // 16 MiB of store makes 1 MiB segments: a session's second segment comes after about 20 exchanges of 50 KB.
  server = await startTestServer({ dataDir, limits: { maxStoreBytes: 16 * 1024 * 1024 } });
  upstream = await startUpstream();
});
afterAll(async () => {
  await server?.close();
  await upstream?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(['recorder', '--server', server.base, ...args], { TRAFFIC_RECORDER_TOKEN: TEST_TOKEN });

async function waitFor(what: string, probe: () => boolean | Promise<boolean>): Promise<void> {
  for (let tries = 0; !(await probe()); tries++) {
    if (tries > 1500) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function session(id: string): Promise<Session> {
  return (await server.call('GET', `/${id}`)).json.session as Session;
}

async function through(s: Session, i: number): Promise<void> {
  const res = await request(`${s.proxyUrl}/bytes?size=50000&i=${i}`);
  expect(res.statusCode).toBe(200);
  expect((await res.body.arrayBuffer()).byteLength).toBe(50000);
}

describe('storage failing for one session', () => {
  it('saves the other sessions, says failing on the API and in the CLI, and recovers', async () => {
    const bad = (await server.call('POST', '/start', { targetUrl: upstream.url, name: 'blocked' })).json.session as Session;
    const good = (await server.call('POST', '/start', { targetUrl: upstream.url, name: 'fine' })).json.session as Session;
    const blocker = path.join(dataDir, 'sessions', bad.id, '0000000001.seg');
    fs.mkdirSync(blocker, { recursive: true });

    for (let i = 0; i < 30; i++) await through(bad, i);
    await through(good, 100);
    await waitFor('storage failing', async () => (await session(bad.id)).storage?.state === 'failing');
    const failing = (await session(good.id)).storage as StorageStatus;
    expect(failing.error).toMatch(/EISDIR|directory/);
    expect(failing.pendingBytes).toBeGreaterThan(0);

    // The good session's log is on disk: one blocked log holds back nothing else.
    const [goodEntry] = (await server.call('GET', `/${good.id}/entries?bodies=false`)).json.entries;
    const badEntries = (await server.call('GET', `/${bad.id}/entries?bodies=false&limit=100`)).json.entries;
    expect(badEntries).toHaveLength(30);
    const badEntry = badEntries.at(-1);
    const goodLog = () => fs.readdirSync(path.join(dataDir, 'sessions', good.id)).map((f) => fs.readFileSync(path.join(dataDir, 'sessions', good.id, f))).reduce((a, b) => Buffer.concat([a, b]), Buffer.alloc(0));
    await waitFor('the good entry on disk', () => goodLog().includes(Buffer.from(goodEntry.id)));
    // Still waiting in memory, so still served whole.
    const waiting = await fetch(`${server.api}/${bad.id}/entries/${badEntry.id}/body/response`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect((await waiting.arrayBuffer()).byteLength).toBe(50000);
    expect((await server.call('GET', '/storage')).json.storage).toMatchObject({ state: 'failing' });

    const list = await cli(['list']);
    expect(list.code).toBe(0);
    expect(list.stderr).toMatch(/^warning: storage is failing since .*EISDIR/m);
    expect(list.stdout).toContain(bad.id);
    const get = await cli(['get', good.id]);
    expect(get.stderr).toMatch(/warning: storage is failing/);
    // Scripts see it too, on stderr, with stdout still plain JSON.
    const json = await cli(['--json', 'list']);
    expect(json.stderr).toMatch(/warning: storage is failing/);
    expect(JSON.parse(json.stdout).sessions).toHaveLength(2);

    fs.rmSync(blocker, { recursive: true });
    await waitFor('storage ok', async () => (await session(bad.id)).storage?.state === 'ok');
    expect((await session(bad.id)).storage?.pendingBytes).toBe(0);
    expect(fs.statSync(blocker).isFile()).toBe(true);
    const saved = await fetch(`${server.api}/${bad.id}/entries/${badEntry.id}/body/response`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect((await saved.arrayBuffer()).byteLength).toBe(50000);
    expect((await cli(['list'])).stderr).not.toMatch(/warning: storage/);
  });

  it('words the warning for people, and stays quiet when storage is fine', () => {
    const since = '2024-01-01T00:00:00.000Z';
    const status = (s: Partial<StorageStatus>): StorageStatus => ({ state: 'ok', since, droppedBodies: 0, pendingBytes: 0, maxPendingBytes: 1, ...s });
    expect(storageWarning([{ storage: status({}) }, {}])).toBeUndefined();
    expect(storageWarning([{ storage: status({ state: 'failing', error: 'ENOSPC: no space left on device', droppedBodies: 3 }) }])).toBe(
      `warning: storage is failing since ${since}: ENOSPC: no space left on device (traffic is still forwarded and recorded; 3 bodies not saved)`,
    );
  });
});
