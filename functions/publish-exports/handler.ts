// Publish (exports): per-segment CSV files under exports/<dataset>/latest/.
import { publishExports } from '../../lib/pipeline/publish.js';
import { shardedRun } from '../../lib/pipeline/types.js';
import { handler, store } from '../shared/runtime.js';

export const main = handler(shardedRun, (event) => publishExports(store(), event));
