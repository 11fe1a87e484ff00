/** Session proxies in two worker processes sharing each port: the same capture, seen from the engine. */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request as undiciRequest } from 'undici';
import { CertificateAuthority } from '../ca/index.js';
import { EVICT_ENTRY_ID, type StreamMessage } from '../../../src-shared/model.js';
import { curl } from '../../test-support/curl.js';
import { startEngine, waitForEntries, type TestEngine } from '../../test-support/engine.js';
import { startUpstream, type Upstream } from '../../test-support/upstream.js';
import type { ProxyPool } from './proxy-pool.js';

let engine: TestEngine;
let upstream: Upstream;
let tlsUpstream: Upstream;

beforeAll(async () => {
  engine = await startEngine({ proxyWorkers: 2, limits: { maxEntriesPerSession: 300 } });
  upstream = await startUpstream();
  tlsUpstream = await startUpstream({ https: true });
}, 60_000);
afterAll(async () => {
  await engine?.close();
  await upstream?.close();
  await tlsUpstream?.close();
});

const pool = () => (engine.recorder as unknown as { host: ProxyPool }).host;

describe('proxy worker pool', () => {
  it('records from both workers: bodies, truncation, timings, eviction on the stream', async () => {
    expect(pool().workerCount).toBe(2);
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    const messages: StreamMessage[] = [];
    const off = engine.recorder.subscribe(session.id, (batch) => messages.push(...batch));
    const big = await curl([`${session.proxyUrl}/big?size=${3 * 1024 * 1024}`]);
    expect(big.body.length).toBe(3 * 1024 * 1024);
    // Many connections, so both workers get some.
    const agent = new Agent({ connections: 20 });
    try {
      await Promise.all(
        Array.from({ length: 320 }, async (_, i) => {
          const res = await undiciRequest(`${session.proxyUrl}/json?i=${i}`, { dispatcher: agent });
          await res.body.text();
        }),
      );
    } finally {
      await agent.close();
    }
    await waitForEntries(engine.recorder, session.id, 300);
    await new Promise((r) => setTimeout(r, 200));
    off();
    const page = await engine.recorder.listEntries({ id: session.id, limit: 1000 });
    expect(page.total).toBe(300);
    expect(page.entries.every((e) => e.response?.statusCode === 200 && e.timings.totalMs > 0)).toBe(true);
    expect(page.entries[299]!.response!.body.text).toContain('"ok":true');
    const entryEvents = messages.filter((m) => m.type === 'entry' && m.entry.id !== EVICT_ENTRY_ID);
    const evictions = messages.filter((m) => m.type === 'entry' && m.entry.id === EVICT_ENTRY_ID);
    expect(entryEvents).toHaveLength(321);
    expect(evictions).toHaveLength(21);
    const truncated = entryEvents
      .map((m) => (m as { entry: { id: string; response?: { body: { truncated: boolean; size: number } } } }).entry)
      .find((e) => e.response?.body.truncated);
    expect(truncated?.response?.body.size).toBe(3 * 1024 * 1024);
    // The worker wrote that body to the store's file itself: evicted now, so its file is gone too.
    expect(await fs.readdir(path.join(engine.dataDir, 'bodies', session.id)).then((f) => f.length).catch(() => 0)).toBe(0);
  });

  it('keeps a large body written by a worker readable through the engine', async () => {
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    const big = await curl([`${session.proxyUrl}/big?size=${2 * 1024 * 1024}`]);
    const [entry] = await waitForEntries(engine.recorder, session.id, 1);
    const kept = (await engine.recorder.readEntryBody(session.id, entry!.id, 'response', false)).bytes;
    expect(kept.length).toBe(1024 * 1024);
    expect(kept.equals(big.body.subarray(0, 1024 * 1024))).toBe(true);
    const files = await fs.readdir(path.join(engine.dataDir, 'bodies', session.id));
    expect(files).toEqual([`${entry!.id}.response`]);
    await engine.recorder.deleteSession({ id: session.id });
    await engine.store.flush();
    await expect(fs.readdir(path.join(engine.dataDir, 'bodies', session.id))).rejects.toThrow();
  });

  it('names a taken port, stops and restarts, and intercepts HTTPS with hints', async () => {
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(8996, '127.0.0.1', r));
    try {
      await expect(engine.recorder.startSession({ targetUrl: upstream.url, listenPort: 8996 })).rejects.toMatchObject({ status: 409 });
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
    }
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    await engine.recorder.stopSession({ id: session.id });
    expect((await curl([`${session.proxyUrl}/json`])).exitCode).not.toBe(0);
    const { session: again } = await engine.recorder.restartSession({ id: session.id });
    expect((await curl([`${again.proxyUrl}/json`])).status).toBe(200);

    const { session: mitm } = await engine.recorder.startSession({ mode: 'forward', mitm: { enabled: true }, ignoreUpstreamCertErrors: true });
    const ca = await CertificateAuthority.loadOrCreate(engine.dataDir);
    const caFile = path.join(engine.dataDir, 'pool-ca.pem');
    await fs.writeFile(caFile, ca.certPem);
    const named = tlsUpstream.url.replace('127.0.0.1', 'localhost');
    const ok = await curl(['-x', mitm.proxyUrl, '--cacert', caFile, `${named}/json?via=pool`]);
    expect(ok.status).toBe(200);
    const refused = await curl(['-x', mitm.proxyUrl, `${named}/json`]);
    expect(refused.exitCode).not.toBe(0);
    const entries = await waitForEntries(engine.recorder, mitm.id, 2);
    expect(entries.find((e) => e.entryType === 'http')).toMatchObject({ request: { url: `${named}/json?via=pool` }, upstreamCertErrorsIgnored: true });
    expect(entries.find((e) => e.entryType === 'tunnel')?.error?.message).toMatch(/does not trust the Traffic Recorder CA/);
  });

  it('replaces a worker that dies and keeps the sessions running', async () => {
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    const [victim] = pool().workerPids();
    process.kill(victim!, 'SIGKILL');
    const replaced = () => pool().workerCount === 2 && !pool().workerPids().includes(victim!);
    const deadline = Date.now() + 30_000;
    while (!replaced() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(replaced()).toBe(true);
    // The replacement is given the running sessions right after it is up.
    await new Promise((r) => setTimeout(r, 1000));
    const statuses = await Promise.all(Array.from({ length: 10 }, () => curl([`${session.proxyUrl}/json`]).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    await waitForEntries(engine.recorder, session.id, 10);
  });
});
