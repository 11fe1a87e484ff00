/**
 * Boots the engine behind a port: the store in the data dir, a Recorder over it, `serveEngine`, and one
 * graceful shutdown (stop every session, flush the store) whether the main process asks or a signal arrives.
 * Plain Node: the utility-process entry (`engine-process.ts`) only adapts `process.parentPort` to a PortLike.
 */
import type { Recorder } from '../engine/sessions/recorder.js';
import type { RecorderLimits } from '../engine/sessions/limits.js';
import { openEngine, type Engine } from '../engine/engine-boot.js';
import { inProcessEngine } from './engine-api.js';
import type { FromEngine, PortLike } from './engine-protocol.js';
import { serveEngine } from './engine-service.js';

export interface EngineRuntimeOptions {
  dataDir: string;
  limits?: Partial<RecorderLimits>;
  /** Forwarded to the Recorder (tests turn timers off). */
  sweepIntervalMs?: number;
  streamIntervalMs?: number;
}

export interface EngineRuntime {
  recorder: Recorder;
  /** Idempotent: stops sessions, flushes and closes the store. */
  close(): Promise<void>;
}

export async function runEngine(port: PortLike, options: EngineRuntimeOptions): Promise<EngineRuntime> {
  let engine: Engine;
  try {
    engine = await openEngine({
      dataDir: options.dataDir,
      limits: options.limits,
      sweepIntervalMs: options.sweepIntervalMs,
      streamIntervalMs: options.streamIntervalMs,
    });
  } catch (e) {
    port.postMessage({ kind: 'fatal', message: (e as Error).message } satisfies FromEngine);
    throw e;
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      service.detach();
      await engine.close();
    })());
  const recorder = engine.recorder;
  const service = serveEngine(port, inProcessEngine(recorder), close);
  port.postMessage({ kind: 'ready' } satisfies FromEngine);
  return { recorder, close };
}
