/**
 * The engine's methods for the rows of src-shared/mockarty-contract.ts; engine-operations.ts spreads them.
 */
import type { MOCKARTY_OPERATIONS } from '../../../src-shared/mockarty-contract.js';
import type { EngineCalls } from '../engine-operations.js';
import type { Recorder } from '../sessions/recorder.js';

export type MockartyCalls = Pick<EngineCalls, Extract<keyof EngineCalls, keyof typeof MOCKARTY_OPERATIONS>>;

export function mockartyOperations(recorder: Recorder): MockartyCalls {
  void recorder;
  return {};
}
