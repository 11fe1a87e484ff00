/**
 * The engine's methods for the rows of src-shared/scripts-contract.ts; engine-operations.ts spreads them.
 */
import type { SCRIPT_OPERATIONS } from '../../../src-shared/scripts-contract.js';
import type { EngineCalls } from '../engine-operations.js';
import type { Recorder } from '../sessions/recorder.js';

export type ScriptCalls = Pick<EngineCalls, Extract<keyof EngineCalls, keyof typeof SCRIPT_OPERATIONS>>;

export function scriptOperations(recorder: Recorder): ScriptCalls {
  void recorder;
  return {};
}
