// The embedded stand-ins for AWS on a laptop: s3rver (S3) and dynalite (DynamoDB), in-process,
// on random loopback ports, speaking the real wire protocols. No Docker, no AWS account.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dynalite from 'dynalite';
import S3rver from 's3rver';

export interface StandIns {
  s3Endpoint: string;
  dynamoEndpoint: string;
  s3rver: S3rver;
  /** sets the SDK environment so every client in this process talks to the stand-ins */
  applyEnvironment(): void;
  stop(): Promise<void>;
}

export async function startStandIns(
  options: { dataDir?: string; dynamoPath?: string; s3Port?: number } = {},
): Promise<StandIns> {
  const ownDir = !options.dataDir;
  const directory = options.dataDir ?? mkdtempSync(join(tmpdir(), 'segmentation-s3-'));
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: options.s3Port ?? 0,
    silent: true,
    directory,
    allowMismatchedSignatures: true,
  });
  const s3 = await s3rver.run();
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: options.dynamoPath });
  await new Promise<void>((resolve, reject) => {
    dynamo.once('error', reject);
    dynamo.listen(0, '127.0.0.1', () => resolve());
  });
  const s3Endpoint = `http://127.0.0.1:${s3.port}`;
  const dynamoEndpoint = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
  return {
    s3Endpoint,
    dynamoEndpoint,
    s3rver,
    applyEnvironment() {
      process.env.AWS_REGION = 'us-east-1';
      process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
      process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
      process.env.AWS_ENDPOINT_URL_S3 = s3Endpoint;
      process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoEndpoint;
      // s3rver 3.7.1 stores aws-chunked framing unless checksums are only sent when required
      process.env.AWS_REQUEST_CHECKSUM_CALCULATION = 'WHEN_REQUIRED';
      process.env.AWS_RESPONSE_CHECKSUM_VALIDATION = 'WHEN_REQUIRED';
    },
    async stop() {
      await s3rver.close();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
      if (ownDir) rmSync(directory, { recursive: true, force: true });
    },
  };
}
