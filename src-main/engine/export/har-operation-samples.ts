/** Samples of the rows of src-shared/har-contract.ts for src-main/operations.int.test.ts. */
import type { HAR_OPERATIONS } from '../../../src-shared/har-contract.js';
import type { FeatureSamples } from '../../test-support/operation-samples.js';

export const HAR_SAMPLES: FeatureSamples<keyof typeof HAR_OPERATIONS> = { samples: {} };
