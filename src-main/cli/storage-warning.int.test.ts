/**
 * One session's body folder cannot be written (a file is in its way): the other session's entries and bodies are
 * still saved, the storage state says `failing` on the API, the CLI warns on stderr, and once the obstacle is gone
 * the waiting bodies reach the disk and the state is `ok` again.
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
  server = await startTestServer({ dataDir });
  upstream = await startUpstream();
});
afterAll(async () => {
  await server?.close();
  await upstream?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(['recorder', '--server', server.base, ...args], { TRAFFIC_RECORDER_TOKEN: TEST_TOKEN });

async function waitFor(what: string, probe: () => Promise<boolean>): Promise<void> {
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
    const blocker = path.join(dataDir, 'bodies', bad.id);
    fs.writeFileSync(blocker, 'not a folder');

    await through(bad, 0);
    await through(good, 1);
    await waitFor('storage failing', async () => (await session(bad.id)).storage?.state === 'failing');
    const failing = (await session(good.id)).storage as StorageStatus;
    expect(failing.error).toMatch(/body file/);

    // The good session's body is on disk and both entries are in the journal: one bad folder blocks nothing else.
    const [goodEntry] = (await server.call('GET', `/${good.id}/entries?bodies=false`)).json.entries;
    const [badEntry] = (await server.call('GET', `/${bad.id}/entries?bodies=false`)).json.entries;
    const journalText = () =>
      fs.readdirSync(dataDir).filter((f) => f.startsWith('journal-')).map((f) => fs.readFileSync(path.join(dataDir, f), 'utf8')).join('');
    await waitFor('both entries journaled', async () => journalText().includes(goodEntry.id) && journalText().includes(badEntry.id));
    expect(fs.statSync(path.join(dataDir, 'bodies', good.id, `${goodEntry.id}.response`)).size).toBe(50000);
    // Still waiting in memory, so still served whole.
    const waiting = await fetch(`${server.api}/${bad.id}/entries/${badEntry.id}/body/response`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect((await waiting.arrayBuffer()).byteLength).toBe(50000);
    expect((await server.call('GET', '/storage')).json.storage).toMatchObject({ state: 'failing' });

    const list = await cli(['list']);
    expect(list.code).toBe(0);
    expect(list.stderr).toMatch(/^warning: storage is failing since .*body file/m);
    expect(list.stdout).toContain(bad.id);
    const get = await cli(['get', good.id]);
    expect(get.stderr).toMatch(/warning: storage is failing/);
    // Scripts see it too, on stderr, with stdout still plain JSON.
    const json = await cli(['--json', 'list']);
    expect(json.stderr).toMatch(/warning: storage is failing/);
    expect(JSON.parse(json.stdout).sessions).toHaveLength(2);

    fs.rmSync(blocker);
    await waitFor('storage ok', async () => (await session(bad.id)).storage?.state === 'ok');
    expect(fs.statSync(path.join(dataDir, 'bodies', bad.id, `${badEntry.id}.response`)).size).toBe(50000);
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
