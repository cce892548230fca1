// Report: run.json, report.html and the run-history record.
import { report } from '../../lib/pipeline/finish.js';
import { reportTask } from '../../lib/pipeline/types.js';
import { handler, segmentsStore, store } from '../shared/runtime.js';

export const main = handler(reportTask, (event) =>
  report(store(), segmentsStore(), event, { startedAt: event.startedAt }),
);
