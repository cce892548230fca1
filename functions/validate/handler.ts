// Validate: name, describe and check the segments; decide which are published.

import { shardedRun } from '../../lib/pipeline/types.js';
import { validate } from '../../lib/pipeline/validate.js';
import { handler, store } from '../shared/runtime.js';

export const main = handler(shardedRun, (event) => validate(store(), event));
