// S3 and DynamoDB behaviour over the real wire protocol, on the embedded stand-ins.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandIns, startStandIns } from '../../infra/local/standins.js';
import { createDocumentClient, createS3Client } from '../../lib/storage/clients.js';
import { S3BlobStore } from '../../lib/storage/s3.js';
import { DynamoSegmentStore } from '../../lib/storage/segment-store.js';
import { createMembershipsTable } from '../support/tables.js';

let standIns: StandIns;

beforeAll(async () => {
  standIns = await startStandIns();
  standIns.applyEnvironment();
});
afterAll(async () => {
  await standIns?.stop();
});

describe('S3 on s3rver', () => {
  it('reads back a streamed 1,000,000-byte multipart-free upload byte-identical', async () => {
    // Prepare
    const s3 = createS3Client();
    await s3.send(new CreateBucketCommand({ Bucket: 'wire-test' }));
    const payload = randomBytes(1_000_000);
    // Act: a streamed body of unknown length, as the SDK's Upload sends it
    await new Upload({
      client: s3,
      params: {
        Bucket: 'wire-test',
        Key: 'incoming/ds/big.bin',
        Body: Readable.from([payload.subarray(0, 400_000), payload.subarray(400_000)]),
      },
      partSize: 5 * 1024 * 1024,
    }).done();
    const res = await s3.send(new GetObjectCommand({ Bucket: 'wire-test', Key: 'incoming/ds/big.bin' }));
    const back = Buffer.from(await res.Body!.transformToByteArray());
    // Assess
    expect(back.length).toBe(1_000_000);
    expect(back.equals(payload)).toBe(true);
  });

  it('lists, copies and deletes through the BlobStore', async () => {
    const store = new S3BlobStore(createS3Client(), 'wire-test');
    await store.put('runs/ds/r1/a.json', '{"a":1}');
    await store.put('runs/ds/r1/b.json', '{"b":2}');
    await store.copy('runs/ds/r1/a.json', 'rejected/ds/a.json');
    expect((await store.list('runs/ds/r1/')).map((o) => o.key)).toEqual([
      'runs/ds/r1/a.json',
      'runs/ds/r1/b.json',
    ]);
    expect(new TextDecoder().decode(await store.get('rejected/ds/a.json'))).toBe('{"a":1}');
    await store.delete(['runs/ds/r1/a.json']);
    expect(await store.getIfExists('runs/ds/r1/a.json')).toBeUndefined();
  });
});

describe('DynamoDB on dynalite', () => {
  it('writes memberships in batches and serves both access patterns', async () => {
    // Prepare
    const ddb = new DynamoDBClient({});
    await createMembershipsTable(ddb, 'wire-memberships');
    const store = new DynamoSegmentStore(createDocumentClient(), {
      catalog: 'x',
      memberships: 'wire-memberships',
      runs: 'y',
    });
    const items = Array.from({ length: 60 }, (_, i) => ({
      customerId: `C${i}`,
      segmentId: i % 2 ? 'seg-1' : 'seg-2',
      runId: 'r1',
      holdout: i % 10 === 0,
      distance: 0.5,
    }));
    // Act
    const calls = await store.putMemberships('shop', 'clusters', items);
    // a customer who moves segment is overwritten, not duplicated
    await store.putMemberships('shop', 'clusters', [{ ...items[1], segmentId: 'seg-2', runId: 'r2' }]);
    // Assess
    expect(calls).toBe(3); // 25 + 25 + 10
    const mine = await store.customerSegments('shop', 'C1');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ segmentId: 'seg-2', runId: 'r2' });
    const members = await store.segmentMembers('shop', 'seg-1');
    expect(members.customerIds).toHaveLength(29);
  });
});

describe('DynamoDB on disk (the local environment)', () => {
  it('keeps the tables in a LevelDB folder while running and removes the folder on stop', async () => {
    // Prepare
    const onDisk = await startStandIns({ dynamoOnDisk: true });
    const ddb = new DynamoDBClient({
      endpoint: onDisk.dynamoEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      await createMembershipsTable(ddb, 'disk-memberships');
      const store = new DynamoSegmentStore(
        DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } }),
        {
          catalog: 'x',
          memberships: 'disk-memberships',
          runs: 'y',
        },
      );
      // Act
      await store.putMemberships('shop', 'clusters', [
        { customerId: 'C1', segmentId: 'seg-1', runId: 'r1', holdout: false, distance: 0.5 },
      ]);
      const mine = await store.customerSegments('shop', 'C1');
      // Assess
      expect(mine).toHaveLength(1);
      expect(onDisk.dynamoPath).toBeDefined();
      expect(existsSync(join(onDisk.dynamoPath!, 'CURRENT'))).toBe(true);
    } finally {
      ddb.destroy();
      await onDisk.stop();
    }
    expect(existsSync(onDisk.dynamoPath!)).toBe(false);
  });
});
