// Score: assign every customer of one shard to a segment.
import { score } from '../../lib/pipeline/score.js';
import { shardTask } from '../../lib/pipeline/types.js';
import { handler, store } from '../shared/runtime.js';

export const main = handler(shardTask, (event) => score(store(), event));
