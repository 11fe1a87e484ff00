/**
 * Boots the engine behind a port: the store in the data dir, a Recorder over it, the machine services beside it,
 * `serveEngine`, and one graceful shutdown (restore the system proxy, stop every session, flush the store)
 * whether the main process asks or a signal arrives.
 * Plain Node: the utility-process entry (`engine-process.ts`) only adapts `process.parentPort` to a PortLike.
 */
import type { Recorder } from '../engine/sessions/recorder.js';
import type { EngineConfigInput } from '../../src-shared/engine-config.js';
import { openEngine } from '../engine/engine-boot.js';
import { MachineServices } from '../engine/machine/machine-services.js';
import { engineOperations, type EngineOperations } from '../engine/engine-operations.js';
import type { FromEngine, PortLike } from './engine-protocol.js';
import { serveEngine } from './engine-service.js';

/** The engine configuration (the desktop reads it from engine-config.json: engine-config-file.ts) and the data dir. */
export interface EngineRuntimeOptions extends EngineConfigInput {
  dataDir: string;
}

export interface EngineRuntime {
  recorder: Recorder;
  machine: MachineServices;
  /** Idempotent: restores the system proxy, stops sessions, flushes and closes the store. */
  close(): Promise<void>;
}

export interface OpenedDesktopEngine extends EngineRuntime {
  engine: EngineOperations;
}

/**
 * The engine plus the machine services, as the headless server opens them: a system proxy left pointing at
 * us by a crashed run is put back before anything else, and closing puts back the one this run set (its
 * session proxy is about to stop). Used by the utility process and by the in-main-process fallback.
 */
export async function openDesktopEngine(options: EngineRuntimeOptions): Promise<OpenedDesktopEngine> {
  // The desktop runs session proxies in its engine process (README): proxy workers are a `serve` option.
  const booted = await openEngine({ ...options, proxyWorkers: 0 });
  const machine = new MachineServices(booted.dataDir, booted.recorder, booted.certificateAuthority);
  await machine.recoverSystemProxy().then(
    (restored) => restored && console.warn('Traffic Recorder: restored the system proxy settings left by an earlier run.'),
    (e: unknown) => console.warn(`Traffic Recorder: could not restore the system proxy settings: ${(e as Error).message}`),
  );
  let closing: Promise<void> | undefined;
  return {
    recorder: booted.recorder,
    machine,
    engine: engineOperations(booted.recorder, machine),
    close: () =>
      (closing ??= (async () => {
        await machine.recoverSystemProxy().catch((e: unknown) => console.warn(`could not restore the system proxy: ${(e as Error).message}`));
        // Browsers opened through a session are ours to stop, as the headless server does.
        await machine.close().catch((e: unknown) => console.warn(`could not stop the browsers: ${(e as Error).message}`));
        await booted.close();
      })()),
  };
}

export async function runEngine(port: PortLike, options: EngineRuntimeOptions): Promise<EngineRuntime> {
  let opened: OpenedDesktopEngine;
  try {
    opened = await openDesktopEngine(options);
  } catch (e) {
    port.postMessage({ kind: 'fatal', message: (e as Error).message } satisfies FromEngine);
    throw e;
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      service.detach();
      await opened.close();
    })());
  const service = serveEngine(port, opened.engine, close);
  port.postMessage({ kind: 'ready' } satisfies FromEngine);
  return { recorder: opened.recorder, machine: opened.machine, close };
}
