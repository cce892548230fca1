// Failure paths dynalite cannot produce: UnprocessedItems and throttling (aws-sdk-client-mock).

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { BatchWriteError, batchWriteAll, type WriteRequest } from '../../../lib/storage/dynamo.js';

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const put = (i: number): WriteRequest => ({ PutRequest: { Item: { pk: `p${i}`, sk: 's' } } });
const noSleep = { sleep: async () => undefined, random: () => 0.5 };

describe('batchWriteAll', () => {
  it('re-sends UnprocessedItems until every item is written', async () => {
    // Prepare: the first call leaves two items unprocessed
    const mock = mockClient(doc);
    mock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { t: [put(1), put(2)] } })
      .resolves({ UnprocessedItems: {} });
    // Act
    const calls = await batchWriteAll(doc, 't', [0, 1, 2, 3].map(put), noSleep);
    // Assess
    expect(calls).toBe(2);
    const second = mock.commandCalls(BatchWriteCommand)[1].args[0].input.RequestItems!.t;
    expect(second).toEqual([put(1), put(2)]);
    mock.restore();
  });

  it('splits into requests of at most 25 items', async () => {
    const mock = mockClient(doc);
    mock.on(BatchWriteCommand).resolves({});
    await batchWriteAll(
      doc,
      't',
      Array.from({ length: 60 }, (_, i) => put(i)),
      noSleep,
    );
    expect(mock.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems!.t.length)).toEqual([
      25, 25, 10,
    ]);
    mock.restore();
  });

  it('backs off on throttling and succeeds', async () => {
    const mock = mockClient(doc);
    const delays: number[] = [];
    mock
      .on(BatchWriteCommand)
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }))
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }))
      .resolves({});
    const calls = await batchWriteAll(doc, 't', [put(1)], {
      sleep: async (ms) => void delays.push(ms),
      random: () => 1,
      baseDelayMs: 100,
    });
    expect(calls).toBe(3);
    expect(delays).toEqual([100, 200]); // exponential, full jitter at its maximum
    mock.restore();
  });

  it('fails clearly when items stay unprocessed, and never swallows other errors', async () => {
    const mock = mockClient(doc);
    mock.on(BatchWriteCommand).resolves({ UnprocessedItems: { t: [put(1)] } });
    await expect(batchWriteAll(doc, 't', [put(1)], { ...noSleep, maxAttempts: 3 })).rejects.toThrow(
      BatchWriteError,
    );
    mock.reset();
    mock.on(BatchWriteCommand).rejects(Object.assign(new Error('bad'), { name: 'ValidationException' }));
    await expect(batchWriteAll(doc, 't', [put(1)], noSleep)).rejects.toThrow('bad');
    mock.restore();
  });

  it('keeps at most `concurrency` requests in flight and writes every item once', async () => {
    // Prepare: each request takes a few milliseconds, so requests overlap if they can
    const mock = mockClient(doc);
    let inFlight = 0;
    let most = 0;
    const written: string[] = [];
    mock.on(BatchWriteCommand).callsFake(async (input: { RequestItems: Record<string, WriteRequest[]> }) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 3));
      for (const r of input.RequestItems.t) written.push(String(r.PutRequest?.Item?.pk));
      inFlight--;
      return {};
    });
    // Act
    const calls = await batchWriteAll(
      doc,
      't',
      Array.from({ length: 500 }, (_, i) => put(i)),
      { ...noSleep, concurrency: 4 },
    );
    // Assess
    expect(calls).toBe(20);
    expect(most).toBe(4);
    expect(written.sort()).toEqual(Array.from({ length: 500 }, (_, i) => `p${i}`).sort());
    mock.restore();
  });

  it('starts no further request after an error that is not retried', async () => {
    // Prepare: the second request fails for good
    const mock = mockClient(doc);
    mock
      .on(BatchWriteCommand)
      .resolvesOnce({})
      .rejectsOnce(Object.assign(new Error('bad item'), { name: 'ValidationException' }))
      .resolves({});
    // Act
    const run = batchWriteAll(
      doc,
      't',
      Array.from({ length: 250 }, (_, i) => put(i)),
      { ...noSleep, concurrency: 2 },
    );
    // Assess: the two in flight settle, nothing after them starts
    await expect(run).rejects.toThrow('bad item');
    expect(mock.commandCalls(BatchWriteCommand).length).toBeLessThanOrEqual(3);
    mock.restore();
  });
});
