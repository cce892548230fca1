// AWS SDK clients, built once per process (module scope in handlers). Locally the embedded
// stand-ins are reached through the SDK's standard AWS_ENDPOINT_URL_* variables; s3rver also
// needs path-style addressing and checksums only when required (see ARCHITECTURE.md).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export function createS3Client(): S3Client {
  const local = Boolean(process.env.AWS_ENDPOINT_URL_S3);
  return new S3Client({
    forcePathStyle: local || process.env.S3_FORCE_PATH_STYLE === 'true',
    ...(local
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
}

export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export class MissingSettingError extends Error {
  constructor(name: string) {
    super(`environment variable ${name} is not set; the stack sets it on every function`);
    this.name = 'MissingSettingError';
  }
}

/** Reads a required setting at cold start so a misconfigured function fails before doing work. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new MissingSettingError(name);
  return value;
}
