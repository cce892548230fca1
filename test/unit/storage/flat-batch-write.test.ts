// FlatBatchWriteCommand must put on the wire exactly what the DocumentClient's BatchWriteCommand puts
// there, and read its answer (UnprocessedItems) the same way: only the marshalling code differs.
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { FlatBatchWriteCommand, NotFlatItemError } from '../../../lib/storage/dynamo.js';
import { membershipRecord } from '../../../lib/storage/segment-store.js';

interface Sent {
  body: string;
  userAgent: string;
}

/** A DocumentClient whose requests go nowhere: each body is kept, and `answer` is the service's reply. */
function capturingClient(answer: unknown): { doc: DynamoDBDocumentClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:1',
    credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    requestHandler: {
      handle: async (request: { body: string | Uint8Array; headers: Record<string, string> }) => {
        sent.push({
          body: Buffer.from(request.body).toString('utf8'),
          userAgent: request.headers['x-amz-user-agent'] ?? '',
        });
        return {
          response: {
            statusCode: 200,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([Buffer.from(JSON.stringify(answer))]),
          },
        };
      },
    },
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { doc, sent };
}

const input = (): BatchWriteCommandInput => ({
  RequestItems: {
    memberships: [
      {
        PutRequest: {
          Item: {
            ...membershipRecord('shop', 'clusters', {
              customerId: 'C1',
              segmentId: 's2',
              runId: 'r9',
              holdout: true,
              distance: 1.23456789,
              score: 87.5,
              band: 'high',
              percentile: 0,
              clv: -12.5,
              lookalike: false,
            }),
            empty: '',
            nothing: null,
            left: undefined,
            big: 9_007_199_254_740_991,
          },
        },
      },
      { DeleteRequest: { Key: { pk: 'shop#C2', sk: 'clusters' } } },
    ],
  },
});

describe('FlatBatchWriteCommand', () => {
  it('sends the same request as BatchWriteCommand, byte for byte', async () => {
    // Prepare
    const stock = capturingClient({ UnprocessedItems: {} });
    const flat = capturingClient({ UnprocessedItems: {} });

    // Act
    await stock.doc.send(new BatchWriteCommand(input()));
    await flat.doc.send(new FlatBatchWriteCommand(input()));

    // Assess
    expect(flat.sent[0].body).toBe(stock.sent[0].body);
    expect(JSON.parse(flat.sent[0].body).RequestItems.memberships[0].PutRequest.Item).toMatchObject({
      holdout: { BOOL: true },
      distance: { N: '1.2346' },
      empty: { S: '' },
      nothing: { NULL: true },
      big: { N: '9007199254740991' },
    });
    // the request is still tagged as the DocumentClient's in the SDK's user-agent metrics
    expect(flat.sent[0].userAgent).toBe(stock.sent[0].userAgent);
  });

  it('reads UnprocessedItems back as plain items, as BatchWriteCommand does', async () => {
    // Prepare
    const answer = {
      UnprocessedItems: {
        memberships: [
          { PutRequest: { Item: { pk: { S: 'shop#C1' }, sk: { S: 'clusters' }, n: { N: '2' } } } },
        ],
      },
    };
    const stock = capturingClient(answer);
    const flat = capturingClient(answer);

    // Act
    const fromStock = await stock.doc.send(new BatchWriteCommand(input()));
    const fromFlat = await flat.doc.send(new FlatBatchWriteCommand(input()));

    // Assess
    expect(fromFlat.UnprocessedItems).toEqual({
      memberships: [{ PutRequest: { Item: { pk: 'shop#C1', sk: 'clusters', n: 2 } } }],
    });
    expect(fromFlat.UnprocessedItems).toEqual(fromStock.UnprocessedItems);
  });

  it('refuses a nested attribute and numbers DynamoDB cannot store, sending nothing', async () => {
    // Prepare
    const { doc, sent } = capturingClient({});
    const withItem = (Item: Record<string, unknown>) =>
      new FlatBatchWriteCommand({ RequestItems: { m: [{ PutRequest: { Item } }] } });

    // Act + Assess
    await expect(doc.send(withItem({ pk: 'a', card: { name: 'x' } }))).rejects.toThrow(NotFlatItemError);
    await expect(doc.send(withItem({ pk: 'a', card: { name: 'x' } }))).rejects.toThrow(/attribute card/);
    await expect(doc.send(withItem({ pk: 'a', v: Number.NaN }))).rejects.toThrow(/NaN is not allowed/);
    await expect(doc.send(withItem({ pk: 'a', v: 2 ** 60 }))).rejects.toThrow(/safe integer/);
    expect(sent).toHaveLength(0);
  });
});
