// Fit: merge shard statistics and samples, choose k and fit the segmentation model.
import { fitModels } from '../../lib/pipeline/fit.js';
import { shardedRun } from '../../lib/pipeline/types.js';
import { handler, store } from '../shared/runtime.js';

export const main = handler(shardedRun, (event) => fitModels(store(), event));
