// BuildFeatures: one shard's point-in-time behavioural features, statistics and fitting sample.
import { buildFeatures } from '../../lib/pipeline/features.js';
import { shardTask } from '../../lib/pipeline/types.js';
import { handler, store } from '../shared/runtime.js';

export const main = handler(shardTask, (event) => buildFeatures(store(), event));
