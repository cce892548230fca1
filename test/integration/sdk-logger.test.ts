// The SDK clients' logger: as silent as the SDK's default, but without `info`, so the SDK no longer copies
// every request and response through its sensitive-data filter for a log line nobody writes. Errors
// must still reach the caller, with the service's error name.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandIns, startStandIns } from '../../infra/local/standins.js';
import { createDocumentClient, createS3Client, sdkLogger } from '../../lib/storage/clients.js';
import { createMembershipsTable } from '../support/tables.js';

let standIns: StandIns;

beforeAll(async () => {
  standIns = await startStandIns();
  standIns.applyEnvironment();
});
afterAll(async () => {
  await standIns?.stop();
});

/** Counts the logger middleware's calls of the input filter (an inner middleware wraps the context's). */
function countFilterCalls(client: DynamoDBDocumentClient): { calls: number } {
  const counter = { calls: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const ctx = context as { inputFilterSensitiveLog?: (input: unknown) => unknown };
      const filter = ctx.inputFilterSensitiveLog;
      if (filter)
        ctx.inputFilterSensitiveLog = (input) => {
          counter.calls++;
          return filter(input);
        };
      return next(args);
    },
    { step: 'initialize', priority: 'low', name: 'countFilterCalls' },
  );
  return counter;
}

describe('the SDK clients of lib/storage', () => {
  it('write without running the log filter, which the default logger runs on every request', async () => {
    // Prepare
    const table = 'memberships-logger';
    const admin = new DynamoDBClient({});
    await createMembershipsTable(admin, table);
    admin.destroy();
    const ours = createDocumentClient();
    const stock = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const oursCount = countFilterCalls(ours);
    const stockCount = countFilterCalls(stock);
    const item = { pk: 'shop#C1', sk: 'clusters', segmentKey: 'shop#s1', customerId: 'C1' };

    // Act
    await ours.send(new PutCommand({ TableName: table, Item: item }));
    await stock.send(new PutCommand({ TableName: table, Item: { ...item, pk: 'shop#C2' } }));
    const read = await ours.send(
      new GetCommand({ TableName: table, Key: { pk: 'shop#C1', sk: 'clusters' } }),
    );

    // Assess
    expect(sdkLogger.info).toBeUndefined();
    expect(read.Item).toEqual(item);
    expect(oursCount.calls).toBe(0);
    expect(stockCount.calls).toBe(1);
    ours.destroy();
    stock.destroy();
  });

  it("still throws the services' errors by name", async () => {
    // Prepare
    const ddb = createDocumentClient();
    const s3 = createS3Client();

    // Act + Assess
    await expect(
      ddb.send(new GetCommand({ TableName: 'no-such-table', Key: { pk: 'x', sk: 'y' } })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' }))).rejects.toMatchObject(
      {
        name: 'NoSuchBucket',
      },
    );
    ddb.destroy();
    s3.destroy();
  });
});
