import type { EngineConfig, EngineLimits } from '../../../src-shared/engine-config.js';
import type { LocalMock } from '../../../src-shared/mocks.js';
import type { SessionModifications } from '../../../src-shared/modifications.js';
import type { SessionToxics } from '../../../src-shared/toxics.js';
import type { CapturedEntry } from '../capture/entries.js';
import type { SessionRecord } from '../store/store-types.js';
import type { ConnectionLimits } from '../proxy/connection-guards.js';

/**
 * Settings every proxy worker needs, given once when it is forked (as JSON in an environment variable): its part of
 * the engine configuration, and where the data lives.
 */
export interface WorkerSettings extends Pick<EngineLimits, 'bodyLimit' | 'upstreamTimeoutMs'>, Pick<EngineConfig, 'loopbackOnly'> {
  dataDir: string;
  /** Bodies larger than this are written to the store's body files by the worker itself. */
  inlineBodyLimit?: number;
  /** Each session's connection limits (the pool shares the connection cap out among its workers). */
  connectionLimits?: ConnectionLimits;
}

export const WORKER_SETTINGS_ENV = 'TRAFFIC_RECORDER_WORKER_SETTINGS';

export type ToWorker =
  | { type: 'start'; session: SessionRecord; mocks?: readonly LocalMock[] }
  | { type: 'stop'; sessionId: string }
  | { type: 'toxics'; sessionId: string; toxics: SessionToxics | undefined }
  | { type: 'modifications'; sessionId: string; modifications: SessionModifications | undefined }
  | { type: 'mocks'; sessionId: string; mocks: readonly LocalMock[] };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'started'; sessionId: string }
  | { type: 'start-failed'; sessionId: string; code?: string; message: string }
  | { type: 'stopped'; sessionId: string }
  | { type: 'toxics-replaced'; sessionId: string }
  | { type: 'modifications-replaced'; sessionId: string }
  | { type: 'mocks-replaced'; sessionId: string }
  | { type: 'entries'; sessionId: string; items: CapturedEntry[] };
