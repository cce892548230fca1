// Ingest (plan): freeze the config, read each dropped file's head, cut large files into byte ranges.
// Returns only range references ({ index }); the plan itself is in the run folder.
import { planRun } from '../../lib/pipeline/ingest.js';
import { runInput } from '../../lib/pipeline/types.js';
import { handler, logger, store } from '../shared/runtime.js';

/** Bytes per range, from the construct (RANGE_BYTES); the library default when unset. */
const rangeBytes = Number(process.env.RANGE_BYTES) > 0 ? Number(process.env.RANGE_BYTES) : undefined;

export const main = handler(runInput, async (event) => {
  const out = await planRun(store(), event, rangeBytes === undefined ? {} : { rangeBytes });
  logger.info('planned', { ranges: out.rangeCount, shards: out.shardCount });
  return out;
});
