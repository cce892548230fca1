// IngestRanges worker: one byte range of a dropped file, validated and partitioned into shards.
import { ingestRangeTask } from '../../lib/pipeline/ingest.js';
import { rangeTask } from '../../lib/pipeline/types.js';
import { handler, logger, store } from '../shared/runtime.js';

export const main = handler(rangeTask, async (event) => {
  const report = await ingestRangeTask(store(), event);
  logger.info('range ingested', {
    range: event.range.index,
    file: report.report.file,
    rows: report.report.rows,
  });
  // only the range number goes back to the map: the report is in the run folder
  return { range: event.range.index, rows: report.report.rows };
});
