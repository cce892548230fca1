// Score: assign every customer of one shard to a segment.
import { score } from '../../lib/pipeline/score.js';
import { handler, shardTask, store } from '../shared/runtime.js';

export const main = handler(shardTask, (event) => score(store(), event));
