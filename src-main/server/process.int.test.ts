/** The server as a real process: sessions and entries survive a restart and a `kill -9` in the middle of traffic. */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request as undiciRequest } from 'undici';
import { spawnServe } from '../test-support/child.js';
import { tempDir } from '../test-support/engine.js';
import { startUpstream, type Upstream } from '../test-support/upstream.js';

const TOKEN = 'process-test-token';
let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => upstream?.close());

async function api(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}/api/v1/recorder${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

describe('server process', () => {
  it('keeps sessions and entries across a graceful restart, and the token file is private', async () => {
    const dataDir = await tempDir();
    const first = await spawnServe(['--data-dir', dataDir], { TRAFFIC_RECORDER_TOKEN: '' });
    const token = /API token: (\S+)/.exec(first.output())![1]!;
    expect((fs.statSync(`${dataDir}/api-token`).mode & 0o777).toString(8)).toBe('600');
    const call = (base: string, method: string, path: string, body?: unknown) =>
      fetch(`${base}/api/v1/recorder${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then((r) => r.json() as Promise<any>);
    const { session } = await call(first.url, 'POST', '/start', { name: 'survivor', targetUrl: upstream.url });
    for (let i = 0; i < 5; i++) await (await undiciRequest(`${session.proxyUrl}/json?i=${i}`)).body.text();
    await new Promise((r) => setTimeout(r, 200));
    const [entryId] = (await call(first.url, 'GET', `/${session.id}/entries`)).entries.map((e: { id: string }) => e.id);
    await call(first.url, 'PATCH', `/${session.id}/entries/${entryId}`, { tags: ['keep'], notes: 'across restarts' });
    expect(await first.stop()).toBe(0);

    const second = await spawnServe(['--data-dir', dataDir], { TRAFFIC_RECORDER_TOKEN: '' });
    try {
      // One process per data directory: a second server on it is refused with the holder's pid.
      await expect(spawnServe(['--data-dir', dataDir], { TRAFFIC_RECORDER_TOKEN: '' })).rejects.toThrow(
        new RegExp(`another Traffic Recorder \\(pid ${second.child.pid}\\) is using the data directory`),
      );
      expect(second.output()).toContain(`API token: ${token}`);
      const again = await call(second.url, 'GET', `/${session.id}`);
      expect(again.session).toMatchObject({ name: 'survivor', status: 'stopped', entryCount: 5 });
      const entries = (await call(second.url, 'GET', `/${session.id}/entries`)).entries;
      expect(entries.map((e: { request: { url: string } }) => e.request.url)).toEqual([0, 1, 2, 3, 4].map((i) => `${upstream.url}/json?i=${i}`));
      expect(entries[0]).toMatchObject({ tags: ['keep'], notes: 'across restarts' });
      expect(entries[4].response.body.text).toContain('"ok":true');
      const restarted = await call(second.url, 'POST', `/${session.id}/restart`);
      expect(restarted.session.status).toBe('running');
    } finally {
      await second.stop();
    }
  });

  it('a kill -9 in the middle of traffic leaves a database that opens with everything up to about a second before', async () => {
    const dataDir = await tempDir();
    const server = await spawnServe(['--data-dir', dataDir, '--token', TOKEN, '--max-entries', '100000']);
    const { session } = await api(server.url, 'POST', '/start', { targetUrl: upstream.url });
    const agent = new Agent({ connections: 8 });
    const answeredAt = new Map<string, number>();
    let stop = false;
    const load = Array.from({ length: 8 }, async (_, worker) => {
      for (let i = 0; !stop; i++) {
        const path = `/json?w=${worker}&i=${i}`;
        try {
          const res = await undiciRequest(`${session.proxyUrl}${path}`, { dispatcher: agent });
          await res.body.text();
          answeredAt.set(`${upstream.url}${path}`, Date.now());
        } catch {
          return;
        }

      }
    });
    await new Promise((r) => setTimeout(r, 3500));
    const killedAt = Date.now();
    await server.kill9();
    stop = true;
    await Promise.all(load);
    await agent.close();
    expect(answeredAt.size).toBeGreaterThan(100);

    const reopened = await spawnServe(['--data-dir', dataDir, '--token', TOKEN]);
    try {
      const recorded = new Set<string>();
      let total = 0;
      for (let offset = 0; offset === 0 || offset < total; offset += 1000) {
        const page = await api(reopened.url, 'GET', `/${session.id}/entries?offset=${offset}&limit=1000&bodies=false`);
        total = page.total;
        for (const e of page.entries) recorded.add(e.request.url);
      }
      const mustHave = [...answeredAt].filter(([, at]) => at < killedAt - 1500).map(([url]) => url);
      expect(mustHave.length).toBeGreaterThan(50);
      // --max-entries is raised for this run: nothing was evicted, so nothing may be missing.
      expect(mustHave.filter((url) => !recorded.has(url))).toEqual([]);
      expect((await api(reopened.url, 'GET', `/${session.id}`)).session.status).toBe('stopped');
    } finally {
      await reopened.stop();
    }
  });
});
