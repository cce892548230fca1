// Handlers: input parsing, wiring and the SDK failure paths (aws-sdk-client-mock).

import { readFileSync } from 'node:fs';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
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
const sqs = mockClient(SQSClient);

beforeAll(() => {
  process.env.BUCKET_NAME = 'data-bucket';
  process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:seg';
  process.env.SETTLE_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/settle';
  process.env.SETTLE_SECONDS = '60';
});
afterEach(() => {
  sfn.reset();
  s3.reset();
  sqs.reset();
});

// the sample events in events/ (also what the docs show): the settle queue's batch holds an S3
// Object Created event from EventBridge and a scheduled tick from EventBridge Scheduler
const batch = JSON.parse(readFileSync('events/eventbridge/settle-batch.json', 'utf8')) as {
  Records: { messageId: string; body: string }[];
};
const dropBody = JSON.parse(readFileSync('events/eventbridge/object-created.json', 'utf8')) as unknown;
const record = (messageId: string, body: unknown) => ({ messageId, body: JSON.stringify(body) });

describe('starter handler', () => {
  // objects dated well before now: the settle window has passed
  const old = new Date(Date.now() - 3_600_000);
  const listing = {
    Versions: [
      {
        Key: 'incoming/shop/orders.csv',
        VersionId: 'v2',
        IsLatest: true,
        Size: 10,
        ETag: '"abc"',
        LastModified: old,
      },
    ],
  };

  it('starts one execution for a batch of one drop, pinned to the listed versions', async () => {
    // Prepare: the sample batch (a drop and a tick) plus the drop delivered twice more
    s3.on(ListObjectVersionsCommand).resolves(listing);
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec' });
    const { main } = await import('../../functions/starter/handler.js');
    const drops = { Records: [...batch.Records, record('dup-1', dropBody), record('dup-2', dropBody)] };
    // Act
    const result = await main(drops, context);
    // Assess: the drop's run and the tick's run; the duplicates merged into the drop's
    expect(result).toEqual({ batchItemFailures: [] });
    const calls = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.name)).toEqual([
      expect.stringMatching(/^shop-r[0-9a-f]{16}$/),
      expect.stringMatching(/^shop-r[0-9a-f]{16}-20261123T0600Z$/),
    ]);
    expect(JSON.parse(calls[0].input!)).toEqual({
      dataset: 'shop',
      runId: calls[0].name!.slice('shop-'.length),
      objects: [{ key: 'incoming/shop/orders.csv', versionId: 'v2', size: 10, etag: 'abc' }],
    });
    expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(2);
  });

  it('treats a duplicate delivery (ExecutionAlreadyExists) as success', async () => {
    s3.on(ListObjectVersionsCommand).resolves(listing);
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const { main } = await import('../../functions/starter/handler.js');
    await expect(main({ Records: [record('m1', dropBody)] }, context)).resolves.toEqual({
      batchItemFailures: [],
    });
  });

  it('re-queues a snapshot still arriving with the rest of the settle window as delay', async () => {
    // Prepare: the object landed 20 s ago; SETTLE_SECONDS is 60
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [{ ...listing.Versions[0], LastModified: new Date(Date.now() - 20_000) }],
    });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'next' });
    const { main } = await import('../../functions/starter/handler.js');
    // Act
    await main({ Records: [record('m1', { dataset: 'shop' })] }, context);
    // Assess
    const sent = sqs.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(sent.QueueUrl).toBe(process.env.SETTLE_QUEUE_URL);
    expect(sent.DelaySeconds).toBeGreaterThanOrEqual(39);
    expect(sent.DelaySeconds).toBeLessThanOrEqual(40);
    expect(JSON.parse(sent.MessageBody!)).toMatchObject({ dataset: 'shop' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('reports only the failed messages, so the rest of the batch is not retried', async () => {
    // Prepare: starting fails (throttled) for shop; one message is not a trigger at all
    s3.on(ListObjectVersionsCommand, { Prefix: 'incoming/shop/' })
      .resolves(listing)
      .on(ListObjectVersionsCommand, { Prefix: 'incoming/nothing-here/' })
      .resolves({});
    sfn
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const { main } = await import('../../functions/starter/handler.js');
    // Act
    const result = await main(
      {
        Records: [
          record('m1', dropBody),
          record('m2', dropBody),
          { messageId: 'junk', body: 'not json' },
          record('empty', { dataset: 'nothing-here' }),
        ],
      },
      context,
    );
    // Assess: the dataset without drops starts nothing and succeeds
    expect(result.batchItemFailures.map((f: { itemIdentifier: string }) => f.itemIdentifier).sort()).toEqual([
      'junk',
      'm1',
      'm2',
    ]);
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

  it.each([
    'build-features',
    'fit',
    'ingest',
    'ingest-merge',
    'ingest-range',
    'publish-audiences',
    'publish-exports',
    'publish-memberships',
    'publish-memberships-shard',
    'quarantine',
    'report',
    'score',
    'validate',
  ])('%s parses its event with its contract and refuses one without a run id', async (name) => {
    const { main } = (await import(`../../functions/${name}/handler.ts`)) as {
      main: (event: unknown, context: Context) => Promise<unknown>;
    };
    await expect(main({ dataset: 'shop' }, context)).rejects.toMatchObject({
      name: 'InvalidEventError',
      message: expect.stringContaining('runId'),
    });
    expect(s3.calls()).toHaveLength(0);
  });

  it('names the ingest range whose worker fails, and asks for a range index', async () => {
    // Prepare: the plan cannot be read (access denied)
    const { main } = await import('../../functions/ingest-range/handler.js');
    s3.onAnyCommand().rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    // Act
    const failed = main({ dataset: 'shop', runId: 'r1', range: { index: 7 } }, context);
    const malformed = main({ dataset: 'shop', runId: 'r1', range: {} }, context);
    // Assess
    await expect(failed).rejects.toMatchObject({ message: expect.stringMatching(/^ingest range 7: /) });
    await expect(malformed).rejects.toMatchObject({ name: 'InvalidEventError' });
  });
});
