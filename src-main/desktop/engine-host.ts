/**
 * Owns the engine's process. The default runs it in an Electron utility process (`utilityProcess.fork` is
 * injected as `fork`), restarts it after a crash (a few times, then gives up and says so), and shuts it down
 * gracefully: the engine stops every session and flushes the store before the app quits. `inMainProcessHost`
 * is the fallback that runs the same engine in the main process (TRAFFIC_RECORDER_ENGINE=main).
 */
import { ApiError } from '../../src-shared/errors.js';
import type { EngineOperations } from '../engine/engine-operations.js';
import { EngineClient } from './engine-client.js';
import type { PortLike } from './engine-protocol.js';

export interface EngineHostLike {
  /** The engine to call now (replaced after a restart). */
  current(): EngineOperations;
  start(): Promise<void>;
  /** Stop every session and flush the store. Idempotent. */
  stop(): Promise<void>;
}

/** The parts of Electron's UtilityProcess the host uses. */
export interface ChildLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  kill(): boolean;
}

export interface EngineHostOptions {
  fork: () => ChildLike;
  /** The engine process died and a new one serves now: stream subscriptions are gone. */
  onRestart?: (reason: string) => void;
  /** The engine died too often and stays down. */
  onGiveUp?: (reason: string) => void;
  maxRestarts?: number;
  restartWindowMs?: number;
  shutdownTimeoutMs?: number;
}

function childPort(child: ChildLike): PortLike {
  return {
    postMessage: (message) => child.postMessage(message),
    onMessage: (listener) => {
      child.on('message', listener);
      return () => child.off('message', listener);
    },
  };
}

export class UtilityEngineHost implements EngineHostLike {
  private child: ChildLike | undefined;
  private client: EngineClient | undefined;
  private exited: Promise<number> = Promise.resolve(0);
  private stopping: Promise<void> | undefined;
  private restarts: number[] = [];
  private gaveUp: ApiError | undefined;

  constructor(private readonly options: EngineHostOptions) {}

  current(): EngineOperations {
    if (this.client) return this.client;
    throw this.gaveUp ?? new ApiError('internal', 'the engine is not running');
  }

  async start(): Promise<void> {
    this.spawn();
    await this.client!.ready;
  }

  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      const client = this.client;
      const child = this.child;
      if (!client || !child || !client.alive) return;
      const timeoutMs = this.options.shutdownTimeoutMs ?? 15_000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      try {
        const outcome = await Promise.race([client.shutdown().then(() => 'done' as const), this.exited.then(() => 'exited' as const), timedOut]);
        if (outcome === 'timeout') {
          console.error(`engine process did not shut down within ${timeoutMs} ms: killing it`);
          child.kill();
        }
      } catch (e) {
        console.error('engine shutdown failed:', (e as Error).message);
      } finally {
        clearTimeout(timer);
      }
      child.kill();
    })());
  }

  private spawn(): void {
    const child = this.options.fork();
    const client = new EngineClient(childPort(child));
    this.child = child;
    this.client = client;
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        resolve(code);
        this.onExit(child, client, code);
      }),
    );
  }

  private onExit(child: ChildLike, client: EngineClient, code: number): void {
    const reason = `the engine process exited (code ${code})`;
    client.fail(new ApiError('internal', reason));
    if (this.child !== child || this.stopping) return;
    const now = Date.now();
    const windowMs = this.options.restartWindowMs ?? 60_000;
    this.restarts = this.restarts.filter((t) => now - t < windowMs);
    if (this.restarts.length >= (this.options.maxRestarts ?? 3)) {
      this.gaveUp = new ApiError('internal', `${reason}; it crashed ${this.restarts.length + 1} times within ${windowMs / 1000} s and stays down: restart the app`);
      this.client = undefined;
      this.child = undefined;
      console.error(this.gaveUp.message);
      this.options.onGiveUp?.(this.gaveUp.message);
      return;
    }
    this.restarts.push(now);
    console.error(`${reason}: restarting it`);
    this.spawn();
    this.options.onRestart?.(`${reason} and was restarted`);
  }
}

/** The same engine in the main process: simpler, but a busy proxy then competes with window and menu events. */
export function inMainProcessHost(open: () => Promise<{ engine: EngineOperations; close(): Promise<void> }>): EngineHostLike {
  let opened: { engine: EngineOperations; close(): Promise<void> } | undefined;
  let stopping: Promise<void> | undefined;
  return {
    current() {
      if (!opened) throw new ApiError('internal', 'the engine is not running');
      return opened.engine;
    },
    async start() {
      opened = await open();
    },
    stop() {
      return (stopping ??= opened ? opened.close() : Promise.resolve());
    },
  };
}
