/**
 * Opening the engine on a data directory, shared by the headless server and the desktop engine process:
 * the directory lock (one process per data dir), the store, the install CA (created on first use) and the
 * recorder. `close()` stops every session, saves, and releases the lock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CertificateAuthority } from './ca/index.js';
import { lockDataDir } from './data-dir-lock.js';
import { caErrorToApi } from './ca-storage-errors.js';
import { Recorder } from './sessions/recorder.js';
import type { RecorderLimits } from './sessions/limits.js';
import { SegmentStore } from './store/segment-store.js';
import type { RecorderStore, StoreBudgetOptions } from './store/store-types.js';
import { loopbackOnly, type UpstreamPolicy } from './proxy/upstream-policy.js';
import { DEFAULT_LIMITS, connectionLimitsOf, storeBudgetsOf } from './sessions/limits.js';
import { ProxyPool } from './workers/proxy-pool.js';
import type { Forwarder } from './proxy/forwarders.js';

export interface EngineBootOptions {
  dataDir: string;
  limits?: Partial<RecorderLimits>;
  sweepIntervalMs?: number;
  streamIntervalMs?: number;
  upstreamPolicy?: UpstreamPolicy;
  /** Run session proxies in this many worker processes sharing each port (0 = in the engine's own process). */
  proxyWorkers?: number;
  /** Who sends recorded requests upstream (default: our direct forwarder; `mockttp` = its passthrough step). */
  forwarder?: Forwarder;
}

export interface Engine {
  dataDir: string;
  recorder: Recorder;
  store: RecorderStore;
  certificateAuthority: () => Promise<CertificateAuthority>;
  close(): Promise<void>;
}

/** `TRAFFIC_RECORDER_LOOPBACK_ONLY=1`: sessions may only contact this machine (offline use, test suites). */
export function upstreamPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): UpstreamPolicy | undefined {
  return env.TRAFFIC_RECORDER_LOOPBACK_ONLY === '1' ? loopbackOnly : undefined;
}

/**
 * Create the data directory private (0700) and tighten an existing one others can read: it holds the API token,
 * the CA's private key and every recorded body.
 */
export function prepareDataDir(dataDir: string, warn: (message: string) => void = console.warn): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return;
  const st = fs.statSync(dataDir);
  if ((st.mode & 0o077) === 0) return;
  if (isSharedFolder(dataDir, st)) {
    warn(`Traffic Recorder: the data directory ${dataDir} is open to other users (mode ${(st.mode & 0o777).toString(8)}); pass a private --data-dir`);
    return;
  }
  fs.chmodSync(dataDir, 0o700);
}

/** Folders whose permissions others rely on are never narrowed: sticky ones like /tmp, the root, a home, another user's. */
function isSharedFolder(dir: string, st: fs.Stats): boolean {
  const resolved = path.resolve(dir);
  return (st.mode & 0o1000) !== 0 || resolved === path.parse(resolved).root || resolved === os.homedir() || st.uid !== process.getuid?.();
}

/** The history store of a data dir, with the budgets it enforces itself (one place to switch implementations). */
export function openStore(dataDir: string, options: StoreBudgetOptions): Promise<RecorderStore> {
  return SegmentStore.open({ dataDir, ...options });
}

export async function openEngine(options: EngineBootOptions): Promise<Engine> {
  const dataDir = path.resolve(options.dataDir);
  prepareDataDir(dataDir);
  const unlock = await lockDataDir(dataDir);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  // The store exists before the recorder that publishes its evictions: they reach it through this relay.
  let evicted: NonNullable<StoreBudgetOptions['onEvicted']> = () => undefined;
  let store: RecorderStore;
  try {
    store = await openStore(dataDir, { ...storeBudgetsOf(limits), onEvicted: (notice) => evicted(notice) });
  } catch (e) {
    await unlock();
    throw e;
  }
  let ca: Promise<CertificateAuthority> | undefined;
  const certificateAuthority = () => {
    ca ??= CertificateAuthority.loadOrCreate(dataDir).catch((e: unknown) => {
      ca = undefined;
      throw caErrorToApi(dataDir, e);
    });
    return ca;
  };
  const upstreamPolicy = options.upstreamPolicy ?? upstreamPolicyFromEnv();
  let pool: ProxyPool | undefined;
  if (options.proxyWorkers && options.proxyWorkers > 0) {
    try {
      pool = await ProxyPool.create(options.proxyWorkers, {
        dataDir,
        bodyLimit: limits.bodyLimit,
        upstreamTimeoutMs: limits.upstreamTimeoutMs,
        connectionLimits: connectionLimitsOf(limits),
        loopbackOnly: upstreamPolicy === loopbackOnly,
        ...(options.forwarder ? { forwarder: options.forwarder } : {}),
      });
    } catch (e) {
      await store.close();
      await unlock();
      throw e;
    }
  }
  const recorder = new Recorder({
    store,
    limits: options.limits,
    certificateAuthority,
    ...(pool ? { sessionHost: pool } : {}),
    ...(upstreamPolicy ? { upstreamPolicy } : {}),
    ...(options.forwarder ? { forwarder: options.forwarder } : {}),
    ...(options.sweepIntervalMs !== undefined ? { sweepIntervalMs: options.sweepIntervalMs } : {}),
    ...(options.streamIntervalMs !== undefined ? { streamIntervalMs: options.streamIntervalMs } : {}),
  });
  evicted = recorder.storeEvicted;
  let closing: Promise<void> | undefined;
  return {
    dataDir,
    recorder,
    store,
    certificateAuthority,
    close: () =>
      (closing ??= (async () => {
        try {
          await recorder.close();
        } finally {
          await store.close();
          await unlock();
        }
      })()),
  };
}
