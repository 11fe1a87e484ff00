/** Samples of the rows of src-shared/scripts-contract.ts for src-main/operations.int.test.ts. */
import type { SCRIPT_OPERATIONS } from '../../../src-shared/scripts-contract.js';
import type { FeatureSamples } from '../../test-support/operation-samples.js';

export const SCRIPT_SAMPLES: FeatureSamples<keyof typeof SCRIPT_OPERATIONS> = { samples: {} };
