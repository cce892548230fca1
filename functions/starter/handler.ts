// Starter: consumes the settle queue (S3 "Object Created" events from EventBridge, scheduled ticks
// from EventBridge Scheduler, its own re-checks) and starts one Step Functions execution per
// settled dataset snapshot. Failed messages are reported one by one (ReportBatchItemFailures).

import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { z } from 'zod';
import { settleRequestOfBody } from '../../lib/pipeline/settle-message.js';
import {
  MAX_SETTLE_SECONDS,
  type SettleMessage,
  type StartExecution,
  settleBatch,
} from '../../lib/pipeline/starter.js';
import type { SettleRequest } from '../../lib/pipeline/types.js';
import { requiredEnv } from '../../lib/storage/clients.js';
import { handler, logger, store } from '../shared/runtime.js';

const sfn = new SFNClient({});
const sqs = new SQSClient({});
const stateMachineArn = requiredEnv('STATE_MACHINE_ARN');
const settleQueueUrl = requiredEnv('SETTLE_QUEUE_URL');
const settleSeconds = Number(requiredEnv('SETTLE_SECONDS'));
if (!Number.isInteger(settleSeconds) || settleSeconds < 0 || settleSeconds > MAX_SETTLE_SECONDS) {
  // the stack sets it from the settleSeconds prop, validated at synth: only a hand edit gets here
  throw Object.assign(
    new Error(`SETTLE_SECONDS must be whole seconds from 0 to ${MAX_SETTLE_SECONDS}, got "${settleSeconds}"`),
    {
      name: 'InvalidSettingError',
    },
  );
}

const sqsEvent = z.object({
  Records: z.array(z.object({ messageId: z.string(), body: z.string() })),
});

const start: StartExecution = async (name, input) => {
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return 'started';
  } catch (error) {
    // the same snapshot reached twice: the first message already started the run
    if (
      error instanceof ExecutionAlreadyExists ||
      (error as { name?: string }).name === 'ExecutionAlreadyExists'
    ) {
      return 'already-exists';
    }
    throw error;
  }
};

const requeue = async (request: SettleRequest, delaySeconds: number): Promise<void> => {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: settleQueueUrl,
      MessageBody: JSON.stringify(request),
      DelaySeconds: delaySeconds,
    }),
  );
};

export const main = handler(sqsEvent, async (event): Promise<SQSBatchResponse> => {
  const messages: SettleMessage[] = event.Records.map((r) => {
    try {
      return { messageId: r.messageId, request: settleRequestOfBody(r.body) };
    } catch (error) {
      return { messageId: r.messageId, request: error as Error };
    }
  });
  const { failedMessageIds } = await settleBatch(store(), messages, {
    settleSeconds,
    nowMs: Date.now(),
    start,
    requeue,
    onOutcome: (outcome, count) => logger.info('trigger', { ...outcome, messages: count }),
    // failed messages are retried, then kept in the dead-letter queue (alarmed), never dropped
    onError: (error, messageIds) => logger.error('trigger failed', { messageIds, error }),
  });
  return { batchItemFailures: failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
});
