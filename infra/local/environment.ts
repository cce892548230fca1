// The local environment a run needs: the stand-ins (s3rver, dynalite) started, the synthesized
// model loaded (or made, the first time), the bucket and tables of that template created, and every
// Task's handler imported in-process with a Lambda-like context.
import './polyfills.js';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { createS3Client } from '../../lib/storage/clients.js';
import { S3BlobStore } from '../../lib/storage/s3.js';
import { loadLocalModel } from './model-cache.js';
import { type StandIns, startStandIns } from './standins.js';
import type { LocalModel } from './template.js';

export interface LocalEnvironment {
  standIns: StandIns;
  model: LocalModel;
  store: S3BlobStore;
  s3: S3Client;
  handlers: Record<string, (input: unknown) => Promise<unknown>>;
  stop(): Promise<void>;
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 15 * 60_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '3008',
    awsRequestId: `local-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/local/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function createBucket(s3: S3Client, model: LocalModel): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: model.bucketName })).catch((e: { name?: string }) => {
    if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
  });
  await s3
    .send(
      new PutBucketVersioningCommand({
        Bucket: model.bucketName,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    )
    .catch(() => undefined); // s3rver does not implement versioning; the run does not depend on it
}

async function createTables(model: LocalModel): Promise<void> {
  const ddb = new DynamoDBClient({});
  try {
    await Promise.all(
      model.tables.map((t) => {
        const p = t.properties as unknown as CreateTableCommandInput;
        return ddb
          .send(
            new CreateTableCommand({
              TableName: t.name,
              KeySchema: p.KeySchema,
              AttributeDefinitions: p.AttributeDefinitions,
              BillingMode: 'PAY_PER_REQUEST',
              GlobalSecondaryIndexes: p.GlobalSecondaryIndexes?.map((g) => ({
                IndexName: g.IndexName,
                KeySchema: g.KeySchema,
                Projection: g.Projection,
              })),
            }),
          )
          .catch((e: { name?: string }) => {
            if (e.name !== 'ResourceInUseException') throw e;
          });
      }),
    );
  } finally {
    ddb.destroy();
  }
}

/** Starts the stand-ins and creates the bucket and tables of the synthesized template. */
export async function startLocalEnvironment(
  options: { dataDir?: string; s3Port?: number } = {},
): Promise<LocalEnvironment> {
  // dynalite boots on its own thread while this one reads (or, the first time, synthesizes) the model
  const starting = startStandIns({
    dataDir: options.dataDir,
    s3Port: options.s3Port,
    dynamoOnDisk: true,
  });
  let model: LocalModel;
  try {
    ({ model } = await loadLocalModel());
  } catch (error) {
    await starting.then(
      (s) => s.stop(),
      () => undefined,
    );
    throw error;
  }
  const standIns = await starting;
  try {
    standIns.applyEnvironment();
    Object.assign(process.env, model.environment);
    const s3 = createS3Client();
    // the bucket and tables are made (mostly on the stand-ins' side) while the handlers load
    const resources = Promise.all([createBucket(s3, model), createTables(model)]);
    resources.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    // loaded side by side: each waits on module reads and transforms (tsx) the others can overlap
    const handlers: LocalEnvironment['handlers'] = Object.fromEntries(
      await Promise.all(
        Object.entries(model.taskHandlers).map(async ([state, name]) => {
          const mod = (await import(`../../functions/${name}/handler.ts`)) as { main: Handler };
          return [state, (input: unknown) => mod.main(input, lambdaContext(name))] as const;
        }),
      ),
    );
    await resources;
    return {
      standIns,
      model,
      s3,
      store: new S3BlobStore(s3, model.bucketName),
      handlers,
      async stop() {
        s3.destroy();
        await standIns.stop();
      },
    };
  } catch (error) {
    await standIns.stop();
    throw error;
  }
}
