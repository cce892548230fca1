// Starter: consumes the settle queue (S3 "Object Created" events from EventBridge, scheduled ticks
// from EventBridge Scheduler, its own re-checks) and starts one Step Functions execution per
// settled dataset snapshot. Failed messages are reported one by one (ReportBatchItemFailures).

import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { z } from 'zod';
import {
  type SettleMessage,
  type StartExecution,
  settleBatch,
  settleRequestOfDrop,
  UnusableTriggerError,
} from '../../lib/pipeline/starter.js';
import { type SettleRequest, settleRequest } from '../../lib/pipeline/types.js';
import { requiredEnv } from '../../lib/storage/clients.js';
import { handler, logger, store } from '../shared/runtime.js';

const sfn = new SFNClient({});
const sqs = new SQSClient({});
const stateMachineArn = requiredEnv('STATE_MACHINE_ARN');
const settleQueueUrl = requiredEnv('SETTLE_QUEUE_URL');
const settleSeconds = Number(requiredEnv('SETTLE_SECONDS'));
if (!Number.isInteger(settleSeconds) || settleSeconds < 0 || settleSeconds > 900) {
  // the stack sets it from the settleSeconds prop, validated at synth: only a hand edit gets here
  throw Object.assign(
    new Error(`SETTLE_SECONDS must be whole seconds from 0 to 900, got "${settleSeconds}"`),
    {
      name: 'InvalidSettingError',
    },
  );
}

const sqsEvent = z.object({
  Records: z.array(z.object({ messageId: z.string(), body: z.string() })),
});
const objectCreated = z.object({
  'detail-type': z.literal('Object Created'),
  time: z.string().optional(),
  detail: z.object({ object: z.object({ key: z.string() }) }),
});

function requestOf(body: string): SettleRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new UnusableTriggerError('the message body is not JSON');
  }
  const drop = objectCreated.safeParse(json);
  if (drop.success) return settleRequestOfDrop(drop.data);
  const request = settleRequest.safeParse(json);
  if (request.success) return request.data;
  throw new UnusableTriggerError('the message is neither an S3 Object Created event nor a settle request');
}

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
      return { messageId: r.messageId, request: requestOf(r.body) };
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
