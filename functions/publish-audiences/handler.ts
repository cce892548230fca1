// Publish (audiences): hashed identifiers of consented, non-holdout members to each destination.
import { publishAudiences } from '../../lib/pipeline/publish.js';
import { shardedRun } from '../../lib/pipeline/types.js';
import { handler, store } from '../shared/runtime.js';

export const main = handler(shardedRun, (event) => publishAudiences(store(), event));
