/**
 * Opening the engine on a data directory, shared by the headless server and the desktop engine process:
 * the directory lock (one process per data dir), the store, the install CA (created on first use) and the
 * recorder, configured by one EngineConfig (src-shared/engine-config.ts). `close()` stops every session, saves,
 * and releases the lock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEngineConfig, resolveProxyWorkers, type EngineConfig, type EngineConfigInput, type EngineLimits } from '../../src-shared/engine-config.js';
import { CertificateAuthority } from './ca/index.js';
import { lockDataDir } from './data-dir-lock.js';
import { caErrorToApi } from './ca-storage-errors.js';
import { Recorder } from './sessions/recorder.js';
import { SegmentStore } from './store/segment-store.js';
import type { RecorderStore, StoreBudgetOptions } from './store/store-types.js';
import { loopbackOnly, type UpstreamPolicy } from './proxy/upstream-policy.js';
import { connectionLimitsOf, storeBudgetsOf } from './sessions/limits.js';
import { ProxyPool } from './workers/proxy-pool.js';

/** The engine configuration (any option left out takes its default) and where the data lives. */
export interface EngineBootOptions extends EngineConfigInput {
  dataDir: string;
  /** Injected at run time: the hosts sessions may contact (default: `loopbackOnly` or the environment, else any). */
  upstreamPolicy?: UpstreamPolicy;
}

export interface Engine {
  dataDir: string;
  /** The configuration it runs with, every default applied. */
  config: EngineConfig;
  /** `config.proxyWorkers` on this machine: worker processes running session proxies (0 = in this process). */
  proxyWorkers: number;
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

/** The install CA, loaded (or created) on first use; a failed load is retried by the next call. */
function caLoader(dataDir: string): () => Promise<CertificateAuthority> {
  let ca: Promise<CertificateAuthority> | undefined;
  return () => {
    ca ??= CertificateAuthority.loadOrCreate(dataDir).catch((e: unknown) => {
      ca = undefined;
      throw caErrorToApi(dataDir, e);
    });
    return ca;
  };
}

function startPool(size: number, dataDir: string, limits: EngineLimits, loopbackOnlyPolicy: boolean): Promise<ProxyPool> {
  return ProxyPool.create(size, {
    dataDir,
    bodyLimit: limits.bodyLimit,
    upstreamTimeoutMs: limits.upstreamTimeoutMs,
    connectionLimits: connectionLimitsOf(limits),
    loopbackOnly: loopbackOnlyPolicy,
  });
}

export async function openEngine(options: EngineBootOptions): Promise<Engine> {
  const { dataDir: givenDir, upstreamPolicy: givenPolicy, ...input } = options;
  // Validated here, before anything is opened: a bad option is an ApiError naming it.
  const config = parseEngineConfig(input);
  const { limits } = config;
  const proxyWorkers = resolveProxyWorkers(config.proxyWorkers, os.availableParallelism());
  const dataDir = path.resolve(givenDir);
  prepareDataDir(dataDir);
  const unlock = await lockDataDir(dataDir);
  // The store exists before the recorder that publishes its evictions: they reach it through this relay.
  let evicted: NonNullable<StoreBudgetOptions['onEvicted']> = () => undefined;
  let store: RecorderStore;
  try {
    store = await openStore(dataDir, { ...storeBudgetsOf(limits), onEvicted: (notice) => evicted(notice) });
  } catch (e) {
    await unlock();
    throw e;
  }
  const certificateAuthority = caLoader(dataDir);
  const upstreamPolicy = givenPolicy ?? (config.loopbackOnly ? loopbackOnly : upstreamPolicyFromEnv());
  let pool: ProxyPool | undefined;
  try {
    pool = proxyWorkers > 0 ? await startPool(proxyWorkers, dataDir, limits, upstreamPolicy === loopbackOnly) : undefined;
  } catch (e) {
    await store.close();
    await unlock();
    throw e;
  }
  const recorder = new Recorder({
    store,
    dataDir,
    limits,
    certificateAuthority,
    ...(pool ? { sessionHost: pool } : {}),
    ...(upstreamPolicy ? { upstreamPolicy } : {}),
    sweepIntervalMs: config.sweepIntervalMs,
    streamIntervalMs: config.streamIntervalMs,
  });
  evicted = recorder.storeEvicted;
  let closing: Promise<void> | undefined;
  return {
    dataDir,
    config,
    proxyWorkers,
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
