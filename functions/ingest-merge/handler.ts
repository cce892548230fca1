// MergeIngest: the ranges' reports into ingest.json and per-file error reports; stops a bad snapshot.
import { mergeIngest } from '../../lib/pipeline/ingest.js';
import { runRef } from '../../lib/pipeline/types.js';
import { handler, logger, store } from '../shared/runtime.js';

export const main = handler(runRef, async (event) => {
  const out = await mergeIngest(store(), event);
  logger.info('ingested', { rows: out.rows, shards: out.shardCount });
  return out;
});
