/**
 * A full, then read-only disk under a recording session, on a real 4 MiB tmpfs: traffic keeps flowing, entries keep
 * being recorded, bodies beyond the memory budget are dropped and say so, the session and the server report
 * `storage: failing`, and saving resumes once space (or write access) returns.
 */
import { fillDisk, mountTmpfs, tryRun } from '../../test-support/tmpfs.js';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entry, StorageStatus } from '../../../src-shared/model.js';
import { startApiServer, type ApiServer } from '../../server/api-server.js';
import { startUpstream, type Upstream } from '../../test-support/upstream.js';
import { loopbackOnly } from '../proxy/upstream-policy.js';
import { Recorder } from '../sessions/recorder.js';
import { SegmentStore } from './segment-store.js';

const TOKEN = 'full-disk-token';
const BODY = 100_000;
const MAX_PENDING = 1024 * 1024;

const mounted = mountTmpfs('4m', 'tr-full-disk-');
if ('problem' in mounted) console.warn(`full-disk tests skipped: ${mounted.problem}`);
const mountDir = 'dir' in mounted ? mounted.dir : '';

let upstream: Upstream;
let store: SegmentStore;
let recorder: Recorder;
let api: ApiServer;
let sessionId: string;
let proxyUrl: string;
const agent = new Agent({ connections: 4 });
const filler = path.join(mountDir, 'filler');

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let tries = 0; ; tries++) {
    const value = await probe();
    if (value !== undefined) return value;
    if (tries > 1500) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function call(pathname: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${api.url}/api/v1/recorder${pathname}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, json: await res.json() };
}

async function sessionStorage(): Promise<StorageStatus> {
  return (await call(`/${sessionId}`)).json.session.storage as StorageStatus;
}

/** One exchange through the proxy; the client must get the whole answer whatever the disk does. */
async function exchange(i: number): Promise<void> {
  const res = await request(`${proxyUrl}/bytes?size=${BODY}&i=${i}`, { dispatcher: agent });
  expect(res.statusCode).toBe(200);
  expect((await res.body.arrayBuffer()).byteLength).toBe(BODY);
}

function fillUp(): void {
  fillDisk(filler, [256 * 1024, 4096, 512]);
}

/** Everything captured so far into the store (the recorder batches), then onto the disk. */
async function saveAll(): Promise<void> {
  recorder.flushPending();
  await store.flush();
}

async function bodyLength(entryId: string): Promise<number> {
  const res = await fetch(`${api.url}/api/v1/recorder/${sessionId}/entries/${entryId}/body/response`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await res.arrayBuffer()).byteLength;
}

async function entriesNow(): Promise<Entry[]> {
  const page = (await call(`/${sessionId}/entries?limit=1000&bodies=false`)).json;
  return page.entries as Entry[];
}

describe.skipIf('problem' in mounted)('storage on a full or read-only disk', () => {
  beforeAll(async () => {
    upstream = await startUpstream();
    store = await SegmentStore.open({ dataDir: path.join(mountDir, 'data'), maxPendingBytes: MAX_PENDING, onWarning: () => undefined });
    recorder = new Recorder({ store, sweepIntervalMs: 0, upstreamPolicy: loopbackOnly });
    api = await startApiServer({ recorder, token: TOKEN });
    const started = await recorder.startSession({ targetUrl: upstream.url });
    sessionId = started.session.id;
    proxyUrl = started.session.proxyUrl;
  });

  afterAll(async () => {
    await agent.close();
    fs.rmSync(filler, { force: true });
    execFileSync('mount', ['-o', 'remount,rw', mountDir]);
    await api?.close();
    await recorder?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await upstream?.close();
    execFileSync('umount', [mountDir]);
    fs.rmdirSync(mountDir);
  });

  it('keeps forwarding and recording when the disk fills, bounds what waits in memory, and resumes when space returns', async () => {
    await exchange(0);
    await saveAll();
    expect((await sessionStorage()).state).toBe('ok');

    fillUp();
    let sent = 1;
    // However fast the machine, keep going until the budget forced bodies out.
    while ((await sessionStorage()).droppedBodies === 0) {
      await exchange(sent++);
      expect(sent).toBeLessThan(500);
    }
    const failing = await waitFor('storage failing', async () => {
      const s = await sessionStorage();
      return s.state === 'failing' ? s : undefined;
    });
    expect(failing.error).toMatch(/ENOSPC|no space/i);
    expect(failing.pendingBytes).toBeLessThanOrEqual(MAX_PENDING);
    expect(failing.maxPendingBytes).toBe(MAX_PENDING);
    const server = (await call('/storage')).json.storage as StorageStatus;
    expect(server).toMatchObject({ state: 'failing' });
    expect(server.droppedBodies).toBeGreaterThan(0);

    // Never an entry dropped: every exchange is there; the dropped bodies say so and their endpoint answers 410.
    const entries = await entriesNow();
    expect(entries).toHaveLength(sent);
    const dropped = entries.filter((e) => e.response?.body.dropped);
    expect(dropped.length).toBe(failing.droppedBodies);
    expect(dropped[0]!.response!.body.droppedReason).toMatch(/not saved/);
    const gone = await call(`/${sessionId}/entries/${dropped[0]!.id}/body/response`);
    expect(gone.status).toBe(410);
    expect(gone.json).toMatchObject({ reason: 'body_dropped' });
    expect(gone.json.error).toMatch(/not saved/);
    // A body still waiting in memory is served from there.
    const waiting = entries.find((e) => !e.response?.body.dropped && e.id !== entries[0]!.id)!;
    const res = await fetch(`${api.url}/api/v1/recorder/${sessionId}/entries/${waiting.id}/body/response`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect((await res.arrayBuffer()).byteLength).toBe(BODY);

    fs.rmSync(filler);
    await waitFor('storage ok again', async () => ((await sessionStorage()).state === 'ok' ? true : undefined));
    await exchange(sent++);
    await saveAll();
    const after = await entriesNow();
    expect(after).toHaveLength(sent);
    const last = after[after.length - 1]!;
    expect(last.response!.body.dropped).toBeUndefined();
    // Nothing waits in memory any more: these bytes come from the disk, including what waited while it was full.
    expect((await sessionStorage()).pendingBytes).toBe(0);
    expect(await bodyLength(last.id)).toBe(BODY);
    expect(await bodyLength(waiting.id)).toBe(BODY);
  });

  it('says so when the disk turns read-only, and resumes when it is writable again', async () => {
    await saveAll();
    const before = (await entriesNow()).length;
    // Busy while a save cycle has a file open for writing: try again until it has not.
    await waitFor('a read-only remount', () => (tryRun('mount', ['-o', 'remount,ro', mountDir]) ? true : undefined));
    try {
      let sent = 0;
      const failing = await waitFor('storage failing on a read-only disk', async () => {
        await exchange(1000 + sent++);
        const s = await sessionStorage();
        return s.state === 'failing' ? s : undefined;
      });
      expect(failing.error).toMatch(/EROFS|read-only/i);
      expect(await entriesNow()).toHaveLength(before + sent);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mountDir]);
    }
    await waitFor('storage ok after remount', async () => ((await sessionStorage()).state === 'ok' ? true : undefined));
    await exchange(2000);
    await saveAll();
    const last = (await entriesNow()).at(-1)!;
    expect((await sessionStorage()).pendingBytes).toBe(0);
    expect(await bodyLength(last.id)).toBe(BODY);
  });
});
