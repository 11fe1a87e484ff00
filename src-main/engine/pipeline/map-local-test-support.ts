/** The setup every map-local test shares: an engine (proxies in process or in workers), its operations, a dead upstream. */
import { afterAll, beforeAll } from 'vitest';
import { startEngine, type TestEngine } from '../../test-support/engine.js';
import { closedPort } from '../../test-support/upstream.js';
import { engineOperations, type EngineOperations } from '../engine-operations.js';

export interface MapLocalEnv {
  engine: TestEngine;
  ops: EngineOperations;
  /** A reverse target nothing listens on: a request that reaches it was not mapped. */
  target: string;
}

/** Started before the enclosing block's first test, closed after its last; read through the returned object. */
export function mapLocalEnv(proxyWorkers = 0): MapLocalEnv {
  const env = {} as MapLocalEnv;
  beforeAll(async () => {
    env.engine = await startEngine({ proxyWorkers });
    env.ops = engineOperations(env.engine.recorder);
    env.target = `http://127.0.0.1:${await closedPort()}`;
  }, 60_000);
  afterAll(async () => {
    await env.engine?.close();
  });
  return env;
}
