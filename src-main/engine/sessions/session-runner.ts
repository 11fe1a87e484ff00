/**
 * Where a session's proxy runs. In process: one ProxySession on the engine's event loop. The worker pool
 * (workers/proxy-pool.ts) runs the same ProxySession in several processes sharing the port, for throughput.
 * Either way, finished entries come back through `onEntry`.
 */
import type { MockttpHttpsOptions } from 'mockttp';
import { randomUUID } from 'node:crypto';
import type { EngineLimits } from '../../../src-shared/engine-config.js';
import type { MitmConfig } from '../../../src-shared/model.js';
import type { LocalMock } from '../../../src-shared/mocks.js';
import type { SessionModifications } from '../../../src-shared/modifications.js';
import type { SessionToxics } from '../../../src-shared/toxics.js';
import type { SessionRecord } from '../store/store-types.js';
import { clientErrorEntry, httpEntry, tunnelEntry, type CapturedEntry } from '../capture/entries.js';
import type { UpstreamPolicy } from '../proxy/upstream-policy.js';
import { ProxySession, type ProxySessionDeps } from './proxy-session.js';
import type { CapturedExchange } from '../capture/http-capture.js';
import { tlsRejectionEntry } from './mitm.js';
import type { ConnectionLimits } from '../proxy/connection-guards.js';
import type { Stage } from '../pipeline/stage.js';

export interface SessionRunner {
  readonly config: SessionRecord;
  stop(): Promise<void>;
  /** The session's toxics replaced live (every proxy of the session, before it resolves). */
  replaceToxics(toxics: SessionToxics | undefined): void | Promise<void>;
  /** The session's modification rules replaced live, the same way. */
  replaceModifications(modifications: SessionModifications | undefined): void | Promise<void>;
  /** Map local's mocks replaced live, the same way (a session with map local off ignores them). */
  replaceMocks(mocks: readonly LocalMock[]): void | Promise<void>;
}

/** The session proxy's part of the engine configuration, plus what is injected at run time. */
export interface RunnerOptions extends Pick<EngineLimits, 'bodyLimit' | 'upstreamTimeoutMs'> {
  tlsMaterial: () => Promise<{ key: string; cert: string }>;
  mitmHttps?: (mitm: MitmConfig) => Promise<MockttpHttpsOptions>;
  upstreamPolicy?: UpstreamPolicy;
  /** Timeouts and the connection cap of each session's port (default: none beyond Node's and mockttp's own). */
  connectionLimits?: ConnectionLimits;
  /** Pending rows (in-process only: worker processes announce nothing, their entries appear when finished). */
  onExchangeStart?: (sessionId: string, exchange: CapturedExchange) => void;
  onExchangeDropped?: (sessionId: string, exchange: CapturedExchange) => void;
  /** Stages after the built-in ones (pipeline/stages.ts); in-process only. */
  extraStages?: readonly Stage[];
}

export interface SessionHost {
  /** `mocks`: map local's, for a session with it on, compiled before the port opens. */
  start(config: SessionRecord, onEntry: (captured: CapturedEntry) => void, mocks?: readonly LocalMock[]): Promise<SessionRunner>;
  close(): Promise<void>;
}

/** A ProxySession whose captures become entries: shared by the in-process host and the pool's workers. */
export async function startCapturingProxy(
  config: SessionRecord,
  options: RunnerOptions,
  onEntry: (captured: CapturedEntry) => void,
  mocks?: readonly LocalMock[],
): Promise<ProxySession> {
  const proxy = new ProxySession(config, {
    bodyLimit: options.bodyLimit,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    tlsMaterial: options.tlsMaterial,
    onExchange: (exchange) => onEntry(httpEntry(config, exchange)),
    onTunnel: (tunnel) => onEntry(tunnelEntry(config.id, tunnel)),
    ...pendingHooks(config.id, options),
    onTlsRejection: (rejection) => onEntry({ entry: tlsRejectionEntry(randomUUID(), config.id, rejection), bodies: {} }),
    onClientError: (error) => {
      const captured = clientErrorEntry(config.id, error);
      if (captured) onEntry(captured);
    },
    ...(options.mitmHttps ? { mitmHttps: options.mitmHttps } : {}),
    ...(options.upstreamPolicy ? { upstreamPolicy: options.upstreamPolicy } : {}),
    ...(options.connectionLimits ? { connectionLimits: options.connectionLimits } : {}),
    ...(options.extraStages ? { extraStages: options.extraStages } : {}),
  }, mocks);
  await proxy.start(config.listenPort, config.listenHost);
  return proxy;
}

function pendingHooks(sessionId: string, options: RunnerOptions): Pick<ProxySessionDeps, 'onExchangeStart' | 'onExchangeDropped'> {
  const { onExchangeStart: start, onExchangeDropped: dropped } = options;
  return {
    ...(start ? { onExchangeStart: (exchange: CapturedExchange) => start(sessionId, exchange) } : {}),
    ...(dropped ? { onExchangeDropped: (exchange: CapturedExchange) => dropped(sessionId, exchange) } : {}),
  };
}

export function inProcessHost(options: RunnerOptions): SessionHost {
  return {
    start: (config, onEntry, mocks) => startCapturingProxy(config, options, onEntry, mocks),
    close: async () => undefined,
  };
}
