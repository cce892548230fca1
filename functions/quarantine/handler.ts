// Quarantine: on any failure, copy the run's inputs to rejected/ with an error report.
import { z } from 'zod';
import { quarantine } from '../../lib/pipeline/finish.js';
import { handler, logger, runInput, segmentsStore, store } from '../shared/runtime.js';

const failedRun = runInput.extend({
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

export const main = handler(failedRun, async (event) => {
  const out = await quarantine(store(), segmentsStore(), event);
  logger.error('run quarantined', { error: out.error.name, reportKey: out.reportKey });
  return out;
});
