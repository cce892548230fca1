// Publish (DynamoDB), after every shard worker: the segment catalog, the switch to the run's
// memberships state, the erasure report and the step's counts.
import { finishMemberships } from '../../lib/pipeline/publish.js';
import { shardedRun } from '../../lib/pipeline/types.js';
import { handler, segmentsStore, store } from '../shared/runtime.js';

export const main = handler(shardedRun, (event) => finishMemberships(store(), segmentsStore(), event));
