/**
 * The engine's methods for the rows of src-shared/har-contract.ts; engine-operations.ts spreads them.
 */
import type { HAR_OPERATIONS } from '../../../src-shared/har-contract.js';
import type { EngineCalls } from '../engine-operations.js';
import type { Recorder } from '../sessions/recorder.js';

export type HarCalls = Pick<EngineCalls, Extract<keyof EngineCalls, keyof typeof HAR_OPERATIONS>>;

export function harOperations(recorder: Recorder): HarCalls {
  void recorder;
  return {};
}
