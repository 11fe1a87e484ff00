/** A ProxySession started on its own, with extra stages, for the pipeline's integration tests. */
import net from 'node:net';
import type { CapturedEntry } from '../capture/entries.js';
import type { SessionRecord } from '../store/store-types.js';
import type { ScopeFilters } from '../../../src-shared/model.js';
import { loopbackOnly } from '../proxy/upstream-policy.js';
import type { ProxySession } from '../sessions/proxy-session.js';
import { startCapturingProxy } from '../sessions/session-runner.js';
import type { Stage } from './stage.js';

export interface TestProxy {
  proxy: ProxySession;
  port: number;
  entries: CapturedEntry[];
  /** Resolves once `count` entries were recorded. */
  entriesAtLeast(count: number): Promise<CapturedEntry[]>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

export async function startTestProxy(options: { targetUrl: string; filters?: ScopeFilters; stages?: Stage[] }): Promise<TestProxy> {
  const port = await freePort();
  const now = new Date().toISOString();
  const config: SessionRecord = {
    id: `pipeline-${port}`,
    name: 'pipeline test',
    mode: 'reverse',
    targetUrl: options.targetUrl,
    listenPort: port,
    listenHost: '127.0.0.1',
    namespace: 'default',
    filters: options.filters ?? {},
    status: 'running',
    createdAt: now,
    startedAt: now,
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  };
  const entries: CapturedEntry[] = [];
  const waiters: Array<() => void> = [];
  const proxy = await startCapturingProxy(
    config,
    {
      bodyLimit: 1024 * 1024,
      upstreamTimeoutMs: 30_000,
      tlsMaterial: () => Promise.reject(new Error('no TLS in these tests')),
      upstreamPolicy: loopbackOnly,
      ...(options.stages ? { extraStages: options.stages } : {}),
    },
    (captured) => {
      entries.push(captured);
      for (const wake of waiters.splice(0)) wake();
    },
  );
  const entriesAtLeast = async (count: number): Promise<CapturedEntry[]> => {
    while (entries.length < count) await new Promise<void>((r) => waiters.push(r));
    return entries;
  };
  return { proxy, port, entries, entriesAtLeast };
}
