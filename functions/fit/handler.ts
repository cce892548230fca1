// Fit: merge shard statistics and samples, choose k and fit the segmentation model.
import { fitModels } from '../../lib/pipeline/fit.js';
import { handler, shardedRun, store } from '../shared/runtime.js';

export const main = handler(shardedRun, (event) => fitModels(store(), event));
