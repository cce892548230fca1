// Publish (DynamoDB), one shard: the memberships delta of the shard's customer-hash range.
import { publishMembershipShard } from '../../lib/pipeline/publish.js';
import { membershipShardTask } from '../../lib/pipeline/types.js';
import { handler, segmentsStore, store } from '../shared/runtime.js';

export const main = handler(membershipShardTask, (event) =>
  publishMembershipShard(store(), segmentsStore(), event),
);
