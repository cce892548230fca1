// Ingest: validate and map the dropped files, partition accepted rows into shards.
import { ingest } from '../../lib/pipeline/ingest.js';
import { handler, logger, runInput, store } from '../shared/runtime.js';

export const main = handler(runInput, async (event) => {
  const out = await ingest(store(), event);
  logger.info('ingested', { rows: out.rows, shards: out.shardCount });
  return out;
});
