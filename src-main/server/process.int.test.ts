/** The server as a real process: sessions and entries survive a restart and a `kill -9` in the middle of traffic. */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request as undiciRequest } from 'undici';
import { spawnServe } from '../test-support/child.js';
import { tempDir } from '../test-support/engine.js';
import { startUpstream, type Upstream } from '../test-support/upstream.js';
import type { Entry } from '../../src-shared/model.js';

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

  it('a kill -9 in the middle of traffic keeps everything the server reported saved, and no body comes back empty', async () => {
    const dataDir = await tempDir();
    const server = await spawnServe(['--data-dir', dataDir, '--token', TOKEN, '--max-entries', '100000']);
    const { session } = await api(server.url, 'POST', '/start', { targetUrl: upstream.url });
    const agent = new Agent({ connections: 8 });
    let answered = 0;
    let stop = false;
    // Every other request has a 100 KB body, written to a body file: those are what a kill used to cut.
    const load = Array.from({ length: 8 }, async (_, worker) => {
      for (let i = 0; !stop; i++) {
        const path = i % 2 === 0 ? `/bytes?size=100000&w=${worker}&i=${i}` : `/json?w=${worker}&i=${i}`;
        try {
          const res = await undiciRequest(`${session.proxyUrl}${path}`, { dispatcher: agent });
          await res.body.arrayBuffer();
          answered++;
        } catch {
          return;
        }
      }
    });
    const until = async (what: string, probe: () => Promise<boolean> | boolean): Promise<void> => {
      for (let tries = 0; !(await probe()); tries++) {
        if (tries > 3000) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await until('traffic', () => answered >= 200);
    // What the API lists is in the store; once a save that started after the listing succeeded, it is on disk.
    const listed = await allEntries(server.url, session.id);
    const listedAt = Date.now();
    await until('a save after the listing', async () => {
      const { storage } = await api(server.url, 'GET', '/storage');
      return storage.savedAt !== undefined && Date.parse(storage.savedAt) > listedAt;
    });
    const more = answered + 100;
    await until('traffic after the save', () => answered >= more);
    await server.kill9();
    stop = true;
    await Promise.all(load);
    await agent.close();

    const reopened = await spawnServe(['--data-dir', dataDir, '--token', TOKEN]);
    try {
      const entries = await allEntries(reopened.url, session.id);
      const recorded = new Set(entries.map((e) => e.request.url));
      // --max-entries is raised for this run: nothing was evicted, so nothing saved may be missing.
      expect(listed.length).toBeGreaterThan(100);
      expect(listed.map((e) => e.request.url).filter((url) => !recorded.has(url))).toEqual([]);
      expect((await api(reopened.url, 'GET', `/${session.id}`)).session.status).toBe('stopped');
      // Journaled only after their body files were written: no entry, however new, lost its body.
      expect(entries.filter((e) => e.bodyLost).map((e) => e.request.url)).toEqual([]);
      const large = entries.filter((e) => (e.response?.body.capturedSize ?? 0) > 0);
      expect(large.length).toBeGreaterThan(50);
      // Every body comes back whole: the newest (written last before the kill) all, the others sampled.
      for (const [i, e] of large.entries()) {
        if (i < large.length - 200 && i % 10 !== 0) continue;
        const res = await fetch(`${reopened.url}/api/v1/recorder/${session.id}/entries/${e.id}/body/response`, { headers: { authorization: `Bearer ${TOKEN}` } });
        expect(res.status).toBe(200);
        expect((await res.arrayBuffer()).byteLength).toBe(e.response!.body.capturedSize);
      }
    } finally {
      await reopened.stop();
    }
  });

  it('a body damaged on disk is reported lost, and its endpoint answers 410, never an empty or wrong 200', async () => {
    const dataDir = await tempDir();
    const first = await spawnServe(['--data-dir', dataDir, '--token', TOKEN]);
    const { session } = await api(first.url, 'POST', '/start', { targetUrl: upstream.url });
    for (let i = 0; i < 3; i++) await (await undiciRequest(`${session.proxyUrl}/bytes?size=50000&i=${i}`)).body.arrayBuffer();
    const until = async (probe: () => Promise<boolean>) => {
      while (!(await probe())) await new Promise((r) => setTimeout(r, 10));
    };
    await until(async () => (await api(first.url, 'GET', `/${session.id}`)).session.entryCount === 3);
    const [damaged, alsoDamaged, whole] = await allEntries(first.url, session.id);
    const listedAt = Date.now();
    await until(async () => {
      const { storage } = await api(first.url, 'GET', '/storage');
      return storage.savedAt !== undefined && Date.parse(storage.savedAt) > listedAt;
    });
    // A kill -9 loses nothing the kernel accepted; bad sectors or a power cut can: flip bytes inside two bodies.
    await first.kill9();
    const segment = `${dataDir}/sessions/${session.id}/0000000000.seg`;
    const bytes = fs.readFileSync(segment);
    for (const e of [damaged!, alsoDamaged!]) {
      const at = bodyRecordOffset(bytes, e.id, 1);
      bytes.writeUInt8(bytes.readUInt8(at + 9 + 20_000) ^ 0xff, at + 9 + 20_000);
    }
    fs.writeFileSync(segment, bytes);

    const second = await spawnServe(['--data-dir', dataDir, '--token', TOKEN]);
    try {
      for (const lost of [damaged!, alsoDamaged!]) {
        const res = await fetch(`${second.url}/api/v1/recorder/${session.id}/entries/${lost.id}/body/response`, { headers: { authorization: `Bearer ${TOKEN}` } });
        expect(res.status).toBe(410);
        expect(res.headers.get('content-type')).toMatch(/application\/json/);
        expect(await res.json()).toMatchObject({ reason: 'body_lost', error: expect.stringMatching(/lost/) });
      }
      const byId = new Map((await allEntries(second.url, session.id)).map((e) => [e.id, e]));
      for (const lost of [damaged!, alsoDamaged!]) {
        expect(byId.get(lost.id)).toMatchObject({ bodyLost: true, response: { body: { lost: true, capturedSize: 50000 } } });
      }
      expect(byId.get(whole!.id)?.bodyLost).toBeUndefined();
      const ok = await fetch(`${second.url}/api/v1/recorder/${session.id}/entries/${whole!.id}/body/response`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect((await ok.arrayBuffer()).byteLength).toBe(50000);
      expect(second.output()).toMatch(/response body of entry .* is gone/);
    } finally {
      await second.stop();
    }
  });
});

/**
 * Where the Body record of an entry's side starts in a segment file (see segments/segment-types.ts: u32 length,
 * u32 crc, u8 type, payload; a Body payload is u8 side, u16 id length, id, bytes). side: 0 request, 1 response.
 */
function bodyRecordOffset(file: Buffer, entryId: string, side: number): number {
  for (let at = 0; at + 9 <= file.length; ) {
    const length = file.readUInt32LE(at);
    const type = file[at + 8];
    if (type === 3 && file[at + 9] === side) {
      const idLength = file.readUInt16LE(at + 10);
      if (file.subarray(at + 12, at + 12 + idLength).toString() === entryId) return at;
    }
    at += 9 + length;
  }
  throw new Error(`no body record for ${entryId}`);
}

/** Every entry of a session, without bodies, page by page. */
async function allEntries(base: string, id: string): Promise<Entry[]> {
  const out: Entry[] = [];
  for (let offset = 0, total = 1; offset < total; offset += 1000) {
    const page = await api(base, 'GET', `/${id}/entries?offset=${offset}&limit=1000&bodies=false`);
    total = page.total;
    out.push(...(page.entries as Entry[]));
    if (page.entries.length === 0) break;
  }
  return out;
}
