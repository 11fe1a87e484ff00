/**
 * The engine's methods for the saved-config rows (src-shared/configs-contract.ts); engine-operations.ts spreads them.
 */
import type { CONFIG_OPERATIONS } from '../../../src-shared/configs-contract.js';
import type { EngineCalls } from '../engine-operations.js';
import type { Recorder } from '../sessions/recorder.js';

export type ConfigCalls = Pick<EngineCalls, Extract<keyof EngineCalls, keyof typeof CONFIG_OPERATIONS>>;

export function configOperations(_recorder: Recorder): ConfigCalls {
  return {};
}
