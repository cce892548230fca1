// Publish (DynamoDB), one shard: the memberships delta of the shard's customer-hash range.
import { z } from 'zod';
import { publishMembershipShard } from '../../lib/pipeline/publish.js';
import { handler, runRef, segmentsStore, store } from '../shared/runtime.js';

const membershipShard = runRef.extend({
  shardCount: z.number().int().positive(),
  shard: z.object({ index: z.number().int().nonnegative() }),
});

export const main = handler(membershipShard, (event) =>
  publishMembershipShard(store(), segmentsStore(), event),
);
