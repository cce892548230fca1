// Publish (DynamoDB): memberships with holdout flags, and the segment catalog.
import { publishMemberships } from '../../lib/pipeline/publish.js';
import { handler, segmentsStore, shardedRun, store } from '../shared/runtime.js';

export const main = handler(shardedRun, (event) => publishMemberships(store(), segmentsStore(), event));
