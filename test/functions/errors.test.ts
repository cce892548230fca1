// Which handler failures Step Functions retries: temporary ones are renamed TransientError (the name
// every task's Retry matches); named input errors keep their names and go straight to Quarantine.
import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { forStepFunctions, TransientError } from '../../functions/shared/errors.js';
import { NotEnoughCustomersError } from '../../lib/models/segmentation.js';
import { BatchWriteError } from '../../lib/storage/dynamo.js';

const sdkError = (name: string, status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(
    new S3ServiceException({
      name,
      $fault: status >= 500 ? 'server' : 'client',
      $metadata: { httpStatusCode: status },
    }),
    { message: `${name} happened` },
    extra,
  );

describe('forStepFunctions', () => {
  it.each([
    ['S3 503 SlowDown', sdkError('SlowDown', 503)],
    ['S3 500 InternalError', sdkError('InternalError', 500)],
    ['DynamoDB throttling (400)', sdkError('ThrottlingException', 400, { $retryable: { throttling: true } })],
    ['provisioned throughput', sdkError('ProvisionedThroughputExceededException', 400)],
    ['a reset socket', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a connect timeout', Object.assign(new Error('connect ETIMEDOUT 1.2.3.4:443'), { code: 'ETIMEDOUT' })],
    ['unprocessed DynamoDB items', new BatchWriteError('memberships', 12, 8)],
    ['a plain wrapper of a throttle', new Error('reading shard 3', { cause: sdkError('SlowDown', 503) })],
  ])('%s becomes a TransientError keeping what happened', (_, error) => {
    // Act
    const named = forStepFunctions(error) as TransientError;
    // Assess
    expect(named).toBeInstanceOf(TransientError);
    expect(named.name).toBe('TransientError');
    expect(named.cause).toBe(error);
    expect(named.message).toContain(named.original);
  });

  it.each([
    ['a named input error', new NotEnoughCustomersError(4, 3)],
    ['access denied', sdkError('AccessDenied', 403)],
    ['a missing key', sdkError('NoSuchKey', 404)],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    [
      'a named error with a transient cause',
      Object.assign(new Error('push failed', { cause: sdkError('SlowDown', 503) }), {
        name: 'AudiencePublishError',
      }),
    ],
  ])('%s keeps its name: not retried', (_, error) => {
    expect(forStepFunctions(error)).toBe(error);
  });
});
