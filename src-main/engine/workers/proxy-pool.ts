/**
 * Session proxies in several worker processes that share each session's port (node:cluster), so capture uses
 * every core while storage, limits and the API stay in the engine. Workers send finished entries in batches;
 * a worker that dies is replaced and given the running sessions again.
 */
import cluster, { type Worker } from 'node:cluster';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CapturedEntry } from '../capture/entries.js';
import type { SessionHost, SessionRunner } from '../sessions/session-runner.js';
import type { SessionRecord } from '../store/store-types.js';
import type { LocalMock } from '../../../src-shared/mocks.js';
import type { SessionModifications } from '../../../src-shared/modifications.js';
import type { SessionToxics } from '../../../src-shared/toxics.js';
import { WORKER_SETTINGS_ENV, type FromWorker, type ToWorker, type WorkerSettings } from './pool-protocol.js';
import { DEFAULT_LIMITS, connectionLimitsOf } from '../sessions/limits.js';

const here = fileURLToPath(import.meta.url);
const fromSource = here.endsWith('.ts');
const WORKER_SCRIPT = path.join(path.dirname(here), `proxy-worker.${fromSource ? 'ts' : 'js'}`);
const REPLY_TIMEOUT_MS = 30_000;

interface Hosted {
  config: SessionRecord;
  onEntry: (captured: CapturedEntry) => void;
  /** Map local's mocks as last sent (a replacement worker gets them with the session). */
  mocks: readonly LocalMock[] | undefined;
  /** The last replacement (toxics, modifications, mocks) sent to the workers. */
  replacing?: Promise<void>;
}

type Reply = Extract<FromWorker, { sessionId: string }>;

export class ProxyPool implements SessionHost {
  private readonly workers = new Set<Worker>();
  private readonly sessions = new Map<string, Hosted>();
  private readonly waiting = new Map<string, (reply: Reply) => void>();
  private closing = false;

  private constructor(
    private readonly size: number,
    private readonly settings: WorkerSettings,
  ) {}

  static async create(size: number, settings: WorkerSettings): Promise<ProxyPool> {
    cluster.setupPrimary({
      exec: WORKER_SCRIPT,
      // From source (tests) the worker needs the TypeScript loader the engine itself runs under.
      execArgv: fromSource ? ['--import', 'tsx'] : [],
      serialization: 'advanced',
      silent: false,
    });
    // Every worker accepts a share of each session's connections (node:cluster deals them out in turn).
    const limits = settings.connectionLimits ?? connectionLimitsOf(DEFAULT_LIMITS);
    const connectionLimits = { ...limits, maxConnections: Math.max(1, Math.ceil(limits.maxConnections / Math.max(1, size))) };
    const pool = new ProxyPool(size, { ...settings, connectionLimits });
    await Promise.all(Array.from({ length: size }, () => pool.spawn()));
    return pool;
  }

  get workerCount(): number {
    return this.workers.size;
  }

  /** Process ids of the live workers. */
  workerPids(): number[] {
    return [...this.workers].map((w) => w.process.pid ?? -1);
  }

  private spawn(): Promise<Worker> {
    const worker = cluster.fork({ [WORKER_SETTINGS_ENV]: JSON.stringify(this.settings) });
    return new Promise((resolve, reject) => {
      const onEarlyExit = (code: number | null) => reject(new Error(`proxy worker exited during start (code ${code})`));
      worker.once('exit', onEarlyExit);
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          worker.off('exit', onEarlyExit);
          this.workers.add(worker);
          worker.once('exit', () => this.onExit(worker));
          resolve(worker);
        } else if (message.type === 'entries') {
          const hosted = this.sessions.get(message.sessionId);
          if (hosted) for (const item of message.items) hosted.onEntry(item);
        } else {
          this.waiting.get(`${worker.id}:${message.sessionId}:${message.type === 'start-failed' ? 'started' : message.type}`)?.(message);
        }
      });
    });
  }

  private request(worker: Worker, message: ToWorker, sessionId: string, expect: Exclude<Reply['type'], 'start-failed' | 'entries'>): Promise<Reply> {
    const key = `${worker.id}:${sessionId}:${expect}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`proxy worker ${worker.id} did not answer ${message.type} in time`));
      }, REPLY_TIMEOUT_MS);
      this.waiting.set(key, (reply) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(reply);
      });
      worker.send(message);
    });
  }

  async start(config: SessionRecord, onEntry: (captured: CapturedEntry) => void, mocks?: readonly LocalMock[]): Promise<SessionRunner> {
    this.sessions.set(config.id, { config, onEntry, mocks });
    const workers = [...this.workers];
    const replies = await Promise.allSettled(workers.map((w) => this.request(w, startMessage(config, mocks), config.id, 'started')));
    const failure = replies
      .map((r) => (r.status === 'rejected' ? { type: 'start-failed' as const, message: String(r.reason), code: undefined } : r.value))
      .find((r) => r.type === 'start-failed');
    if (failure && failure.type === 'start-failed') {
      await this.stopEverywhere(config.id).catch(() => undefined);
      this.sessions.delete(config.id);
      throw Object.assign(new Error(failure.message), { code: failure.code });
    }
    return {
      config,
      stop: () => this.stop(config.id),
      replaceToxics: (toxics) => this.replaceToxics(config.id, toxics),
      replaceModifications: (modifications) => this.replaceModifications(config.id, modifications),
      replaceMocks: (next) => this.replaceMocks(config.id, next),
    };
  }

  /**
   * Every worker's proxy of the session takes the new toxics; a replacement worker gets them with the session.
   * One replacement at a time per session: a worker's replies are told apart by session and type only.
   */
  private replaceToxics(sessionId: string, toxics: SessionToxics | undefined): Promise<void> {
    const hosted = this.sessions.get(sessionId);
    if (!hosted) return Promise.resolve();
    const config: SessionRecord = { ...hosted.config };
    if (toxics) config.toxics = toxics;
    else delete config.toxics;
    hosted.config = config;
    const send = () => Promise.all([...this.workers].map((w) => this.request(w, { type: 'toxics', sessionId, toxics }, sessionId, 'toxics-replaced')));
    const done = (hosted.replacing ?? Promise.resolve()).catch(() => undefined).then(send).then(() => undefined);
    hosted.replacing = done;
    return done;
  }

  /** The same for the modification rules (one replacement at a time per session, toxics included). */
  private replaceModifications(sessionId: string, modifications: SessionModifications | undefined): Promise<void> {
    const hosted = this.sessions.get(sessionId);
    if (!hosted) return Promise.resolve();
    const config: SessionRecord = { ...hosted.config };
    if (modifications) config.modifications = modifications;
    else delete config.modifications;
    hosted.config = config;
    const send = () =>
      Promise.all([...this.workers].map((w) => this.request(w, { type: 'modifications', sessionId, modifications }, sessionId, 'modifications-replaced')));
    const done = (hosted.replacing ?? Promise.resolve()).catch(() => undefined).then(send).then(() => undefined);
    hosted.replacing = done;
    return done;
  }

  /** Map local's mocks, the same way (one replacement at a time per session, toxics and modifications included). */
  private replaceMocks(sessionId: string, mocks: readonly LocalMock[]): Promise<void> {
    const hosted = this.sessions.get(sessionId);
    if (!hosted) return Promise.resolve();
    hosted.mocks = mocks;
    const send = () => Promise.all([...this.workers].map((w) => this.request(w, { type: 'mocks', sessionId, mocks }, sessionId, 'mocks-replaced')));
    const done = (hosted.replacing ?? Promise.resolve()).catch(() => undefined).then(send).then(() => undefined);
    hosted.replacing = done;
    return done;
  }

  private async stopEverywhere(sessionId: string): Promise<void> {
    await Promise.all([...this.workers].map((w) => this.request(w, { type: 'stop', sessionId }, sessionId, 'stopped')));
  }

  private async stop(sessionId: string): Promise<void> {
    try {
      await this.stopEverywhere(sessionId);
    } finally {
      this.sessions.delete(sessionId);
    }
  }

  /** A worker died: replace it and give the new one every running session. */
  private onExit(worker: Worker): void {
    this.workers.delete(worker);
    if (this.closing) return;
    console.warn(`Traffic Recorder: proxy worker ${worker.process.pid} exited; starting a replacement`);
    void this.spawn().then(
      async (replacement) => {
        for (const { config, mocks } of this.sessions.values()) {
          const reply = await this.request(replacement, startMessage(config, mocks), config.id, 'started').catch((e: unknown) => e);
          if (reply instanceof Error || (reply as Reply).type === 'start-failed') {
            console.warn(`Traffic Recorder: session ${config.id} could not be restarted in the new worker`);
          }
        }
      },
      (e: unknown) => console.warn(`Traffic Recorder: could not replace the proxy worker: ${(e as Error).message}`),
    );
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const id of [...this.sessions.keys()]) await this.stop(id).catch(() => undefined);
    await Promise.all(
      [...this.workers].map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            worker.disconnect();
            setTimeout(() => {
              worker.process.kill('SIGKILL');
              resolve();
            }, 5000).unref();
          }),
      ),
    );
    this.workers.clear();
  }
}

function startMessage(session: SessionRecord, mocks: readonly LocalMock[] | undefined): ToWorker {
  return mocks ? { type: 'start', session, mocks } : { type: 'start', session };
}
