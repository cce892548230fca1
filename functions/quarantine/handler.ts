// Quarantine: on any failure, copy the run's inputs to rejected/ with an error report.
import { quarantine } from '../../lib/pipeline/finish.js';
import { failedRun } from '../../lib/pipeline/types.js';
import { handler, logger, segmentsStore, store } from '../shared/runtime.js';

export const main = handler(failedRun, async (event) => {
  const out = await quarantine(store(), segmentsStore(), event);
  logger.error('run quarantined', { error: out.error.name, reportKey: out.reportKey });
  return out;
});
