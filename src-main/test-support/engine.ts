import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Recorder, type RecorderOptions } from '../engine/sessions/recorder.js';
import { SegmentStore } from '../engine/store/segment-store.js';
import type { EvictionNotice, RecorderStore } from '../engine/store/store-types.js';
import { DEFAULT_LIMITS, storeBudgetsOf } from '../engine/sessions/limits.js';
import { CertificateAuthority } from '../engine/ca/index.js';
import { loopbackOnly } from '../engine/proxy/upstream-policy.js';
import { ProxyPool } from '../engine/workers/proxy-pool.js';
import type { Entry } from '../../src-shared/model.js';
import { afterAll, beforeAll } from 'vitest';
import { startUpstream, type Upstream } from './upstream.js';

export async function tempDir(prefix = 'tr-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export interface TestEngine {
  recorder: Recorder;
  store: RecorderStore;
  dataDir: string;
  close(): Promise<void>;
}

/** A real recorder over a real store in a fresh temp dir; expiry sweeps only when the test calls them. */
export async function startEngine(options: Omit<RecorderOptions, 'store'> & { proxyWorkers?: number } = {}): Promise<TestEngine> {
  const dataDir = await tempDir();
  const { proxyWorkers, ...recorderOptions } = options;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const sessionHost = proxyWorkers
    ? await ProxyPool.create(proxyWorkers, { dataDir, bodyLimit: limits.bodyLimit, upstreamTimeoutMs: limits.upstreamTimeoutMs, loopbackOnly: true })
    : undefined;
  let evicted: (notice: EvictionNotice) => void = () => undefined;
  const budgets = storeBudgetsOf(limits);
  const store = await SegmentStore.open({ dataDir, onWarning: () => undefined, ...budgets, onEvicted: (notice) => evicted(notice) });
  let ca: Promise<CertificateAuthority> | undefined;
  const certificateAuthority = () => (ca ??= CertificateAuthority.loadOrCreate(dataDir));
  // Tests never let a session contact anything but this machine.
  const recorder = new Recorder({
    sweepIntervalMs: 0,
    streamIntervalMs: 10,
    certificateAuthority,
    upstreamPolicy: loopbackOnly,
    ...(sessionHost ? { sessionHost } : {}),
    ...recorderOptions,
    store,
  });
  evicted = recorder.storeEvicted;
  return {
    recorder,
    store,
    dataDir,
    close: async () => {
      await recorder.close();
      await store.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Poll until the session has `count` entries (capture completes just after the client sees the response). */
export async function waitForEntries(recorder: Recorder, id: string, count: number, timeoutMs = 5000): Promise<Entry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await recorder.listEntries({ id, limit: 1000 });
    if (page.total >= count) return page.entries;
    if (Date.now() > deadline) throw new Error(`expected ${count} entries in session ${id}, have ${page.total}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A test engine and a local upstream shared by the tests of the enclosing file or describe block: started before
 * the first, closed after the last. Read them through the returned object (they exist once the hooks ran).
 */
export function engineWithUpstream(): { readonly engine: TestEngine; readonly upstream: Upstream } {
  const env = {} as { engine: TestEngine; upstream: Upstream };
  beforeAll(async () => {
    env.engine = await startEngine();
    env.upstream = await startUpstream();
  });
  afterAll(async () => {
    await env.engine?.close();
    await env.upstream?.close();
  });
  return env;
}
