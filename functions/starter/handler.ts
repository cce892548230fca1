// Starter: S3 Object Created (EventBridge) → one Step Functions execution per dataset snapshot.
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { startRunForObject } from '../../lib/pipeline/starter.js';
import { requiredEnv } from '../../lib/storage/clients.js';
import { handler, logger, store } from '../shared/runtime.js';

const sfn = new SFNClient({});
const stateMachineArn = requiredEnv('STATE_MACHINE_ARN');

const objectCreated = z.object({
  'detail-type': z.string().optional(),
  detail: z.object({
    bucket: z.object({ name: z.string() }).optional(),
    object: z.object({
      key: z.string(),
      size: z.number().optional(),
      etag: z.string().optional(),
      'version-id': z.string().optional(),
    }),
  }),
});

export const main = handler(objectCreated, async (event) => {
  const result = await startRunForObject(store(), event, async (name, input) => {
    try {
      await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      return 'started';
    } catch (error) {
      // the same snapshot delivered twice: the first delivery already started the run
      if (
        error instanceof ExecutionAlreadyExists ||
        (error as { name?: string }).name === 'ExecutionAlreadyExists'
      ) {
        return 'already-exists';
      }
      throw error;
    }
  });
  logger.info('snapshot run', result);
  return result;
});
