// What every handler shares: SDK clients built once per container, settings read and checked at
// cold start, a Powertools logger, and the middy wrapper. Handlers stay a few lines each.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { createDocumentClient, createS3Client, requiredEnv } from '../../lib/storage/clients.js';
import { S3BlobStore } from '../../lib/storage/s3.js';
import { DynamoSegmentStore } from '../../lib/storage/segment-store.js';
import { INVALID_EVENT_ERROR } from '../../lib/util/error-names.js';
import { forStepFunctions } from './errors.js';

export const logger = new Logger({ serviceName: 'audience-segmentation' });

let blobStore: S3BlobStore | undefined;
let segmentStore: DynamoSegmentStore | undefined;

/** The run bucket as a BlobStore (built on first use, then reused by the container). */
export function store(): S3BlobStore {
  blobStore ??= new S3BlobStore(createS3Client(), requiredEnv('BUCKET_NAME'));
  return blobStore;
}

export function segmentsStore(): DynamoSegmentStore {
  segmentStore ??= new DynamoSegmentStore(createDocumentClient(), {
    catalog: requiredEnv('CATALOG_TABLE'),
    memberships: requiredEnv('MEMBERSHIPS_TABLE'),
    runs: requiredEnv('RUNS_TABLE'),
  });
  return segmentStore;
}

export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = INVALID_EVENT_ERROR;
  }
}

/** Wraps a typed handler: parses the event with `schema`, tags logs with the run, returns JSON. */
export function handler<S extends z.ZodType, R>(
  schema: S,
  fn: (event: z.infer<S>, context: Context) => Promise<R>,
) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event: unknown, context: Context): Promise<R> => {
      const parsed = schema.safeParse(event);
      if (!parsed.success) {
        throw new InvalidEventError(
          `unexpected input: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
        );
      }
      const ref = parsed.data as {
        dataset?: string;
        runId?: string;
        shard?: { index?: number };
        range?: { index?: number };
      };
      if (ref.dataset) logger.appendKeys({ dataset: ref.dataset, runId: ref.runId });
      try {
        return await fn(parsed.data, context);
      } catch (error) {
        // the name decides Retry (TransientError) or straight to Catch (our named input errors)
        const named = forStepFunctions(error);
        // a failing shard must be named wherever the failure surfaces (run summary, quarantine report)
        if (
          named instanceof Error &&
          typeof ref.shard?.index === 'number' &&
          !named.message.startsWith('shard ')
        )
          named.message = `shard ${ref.shard.index}: ${named.message}`;
        else if (
          named instanceof Error &&
          typeof ref.range?.index === 'number' &&
          !named.message.startsWith('ingest range ')
        )
          named.message = `ingest range ${ref.range.index}: ${named.message}`;
        throw named;
      }
    });
}
