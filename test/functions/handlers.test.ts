// Handlers: input parsing, wiring and the SDK failure paths (aws-sdk-client-mock).

import { readFileSync } from 'node:fs';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const context = {
  functionName: 'test',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);

beforeAll(() => {
  process.env.BUCKET_NAME = 'data-bucket';
  process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:seg';
});
afterEach(() => {
  sfn.reset();
  s3.reset();
});

// the sample EventBridge event in events/ (also what the docs show)
const sample = JSON.parse(readFileSync('events/eventbridge/object-created.json', 'utf8'));
const event = (key: string) => ({
  ...sample,
  detail: { ...sample.detail, object: { ...sample.detail.object, key } },
});

describe('starter handler', () => {
  it('starts an execution named from the snapshot, reading the triggering object version', async () => {
    // Prepare
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'incoming/shop/orders.csv', Size: 10, ETag: '"abc"' }],
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec' });
    const { main } = await import('../../functions/starter/handler.js');
    // Act
    const result = await main(event('incoming/shop/orders.csv'), context);
    // Assess
    const call = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(call.name).toBe(result.executionName);
    expect(JSON.parse(call.input!)).toMatchObject({
      dataset: 'shop',
      runId: result.runId,
      objects: [{ key: 'incoming/shop/orders.csv', versionId: 'v2', size: 10 }],
    });
    expect(result.status).toBe('started');
  });

  it('treats a duplicate delivery (ExecutionAlreadyExists) as success', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'incoming/shop/orders.csv', Size: 10, ETag: '"abc"' }],
    });
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const { main } = await import('../../functions/starter/handler.js');
    await expect(main(event('incoming/shop/orders.csv'), context)).resolves.toMatchObject({
      status: 'already-exists',
    });
  });

  it('surfaces other start failures so EventBridge retries them', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const { main } = await import('../../functions/starter/handler.js');
    await expect(main(event('incoming/shop/orders.csv'), context)).rejects.toThrow('throttled');
  });
});

describe('stage handlers', () => {
  it('reject a malformed state input with a named error before doing any work', async () => {
    const { main } = await import('../../functions/fit/handler.js');
    await expect(main({ dataset: 'shop' }, context)).rejects.toMatchObject({
      name: 'InvalidEventError',
      message: expect.stringContaining('runId'),
    });
    expect(s3.calls()).toHaveLength(0);
  });
});
