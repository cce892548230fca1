// Report: run.json, report.html and the run-history record.
import { z } from 'zod';
import { report } from '../../lib/pipeline/finish.js';
import { handler, runRef, segmentsStore, store } from '../shared/runtime.js';

export const main = handler(
  runRef.extend({ asOfMs: z.number(), startedAt: z.string().optional() }),
  (event) => report(store(), segmentsStore(), event, { startedAt: event.startedAt }),
);
