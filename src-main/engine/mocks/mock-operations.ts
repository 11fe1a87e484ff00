/**
 * The engine's methods for the mock store's rows (src-shared/mocks-contract.ts); engine-operations.ts spreads them.
 */
import type { MOCK_OPERATIONS } from '../../../src-shared/mocks-contract.js';
import type { EngineCalls } from '../engine-operations.js';
import type { Recorder } from '../sessions/recorder.js';

export type MockCalls = Pick<EngineCalls, Extract<keyof EngineCalls, keyof typeof MOCK_OPERATIONS>>;

export function mockOperations(_recorder: Recorder): MockCalls {
  return {};
}
