/** Samples of the rows of src-shared/mockarty-contract.ts for src-main/operations.int.test.ts. */
import type { MOCKARTY_OPERATIONS } from '../../../src-shared/mockarty-contract.js';
import type { FeatureSamples } from '../../test-support/operation-samples.js';

export const MOCKARTY_SAMPLES: FeatureSamples<keyof typeof MOCKARTY_OPERATIONS> = { samples: {} };
