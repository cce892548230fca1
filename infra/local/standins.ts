// The embedded stand-ins for AWS on a laptop: s3rver (S3) and dynalite (DynamoDB), in-process,
// on random loopback ports, speaking the real wire protocols. No Docker, no AWS account. dynalite
// runs on its own worker thread: a publish writes every membership through it, and on the main
// thread its work (validation, LevelDB encoding, indexes) would queue behind the handlers'. With
// `dynamoOnDisk` its tables live in a LevelDB folder instead of the process's memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import S3rver from 's3rver';

export interface StandIns {
  s3Endpoint: string;
  dynamoEndpoint: string;
  /** dynalite's LevelDB folder, when its tables are on disk (undefined: in memory) */
  dynamoPath?: string;
  s3rver: S3rver;
  /** sets the SDK environment so every client in this process talks to the stand-ins */
  applyEnvironment(): void;
  stop(): Promise<void>;
}

/**
 * Decodes an `aws-chunked` body (`<hex size>[;chunk-signature=…]\r\n<bytes>\r\n … 0…\r\n[trailers]\r\n`),
 * which s3rver 3.7.1 would store verbatim: the AWS CLI v2 and SDKs with default checksum settings
 * send file uploads this way, so a marketer's plain `aws s3 cp` must work against the stand-in.
 */
export class AwsChunkedDecoder extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  /** bytes of chunk data still to pass on; 0: the chunk's closing CRLF is next; -1: a size line is */
  private remaining = -1;
  private done = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    try {
      while (!this.done && this.buffer.length) {
        if (this.remaining < 0) {
          const eol = this.buffer.indexOf('\r\n');
          if (eol < 0) break;
          const size = Number.parseInt(this.buffer.subarray(0, eol).toString('latin1').split(';')[0], 16);
          if (!Number.isFinite(size)) throw new Error('malformed aws-chunked body');
          this.buffer = this.buffer.subarray(eol + 2);
          if (size === 0)
            this.done = true; // what follows is trailers (checksums), not data
          else this.remaining = size;
        } else if (this.remaining > 0) {
          const take = Math.min(this.remaining, this.buffer.length);
          this.push(this.buffer.subarray(0, take));
          this.buffer = this.buffer.subarray(take);
          this.remaining -= take;
        } else {
          if (this.buffer.length < 2) break;
          this.buffer = this.buffer.subarray(2);
          this.remaining = -1;
        }
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}

interface KoaLikeContext {
  method: string;
  req: NodeJS.ReadableStream;
  request: { headers: Record<string, string | string[] | undefined> };
}

function decodeAwsChunked(ctx: KoaLikeContext, next: () => Promise<unknown>): Promise<unknown> {
  const headers = ctx.request.headers;
  const sha = String(headers['x-amz-content-sha256'] ?? '');
  const encodings = String(headers['content-encoding'] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (
    (ctx.method === 'PUT' || ctx.method === 'POST') &&
    (sha.startsWith('STREAMING-') || encodings.includes('aws-chunked'))
  ) {
    // controllers read the body from ctx.req; headers still come from the original request
    ctx.req = ctx.req.pipe(new AwsChunkedDecoder());
    const rest = encodings.filter((e) => e !== 'aws-chunked');
    if (rest.length) headers['content-encoding'] = rest.join(',');
    else delete headers['content-encoding'];
    if (headers['x-amz-decoded-content-length'])
      headers['content-length'] = headers['x-amz-decoded-content-length'];
  }
  return next();
}

/**
 * The worker's program, plain CommonJS so it runs the same under node, tsx and vitest: dynalite on
 * a loopback port, closed on request. Messages: {port} once listening, {closed} once closed.
 */
const DYNALITE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
let profiler;
if (workerData.profileDir) {
  const { Session } = require('node:inspector');
  profiler = new Session();
  profiler.connect();
  profiler.post('Profiler.enable', () => profiler.post('Profiler.start'));
}
const dynalite = require(workerData.dynalite);
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: workerData.path });
server.once('error', (error) => parentPort.postMessage({ error: String(error && error.message || error) }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
const closed = () => parentPort.postMessage({ closed: true });
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  server.close(() => {
    if (!profiler) return closed();
    profiler.post('Profiler.stop', (error, result) => {
      if (!error) {
        const fs = require('node:fs');
        fs.mkdirSync(workerData.profileDir, { recursive: true });
        fs.writeFileSync(require('node:path').join(workerData.profileDir, 'dynalite-' + Date.now() + '.cpuprofile'), JSON.stringify(result.profile));
      }
      closed();
    });
  });
});
`;

interface DynamoWorker {
  port: number;
  stop(): Promise<void>;
}

async function startDynamoWorker(path: string | undefined, profileDir?: string): Promise<DynamoWorker> {
  const worker = new Worker(DYNALITE_WORKER, {
    eval: true,
    workerData: { dynalite: createRequire(import.meta.url).resolve('dynalite'), path, profileDir },
    // the loaders of the parent (tsx, vitest) are not needed for plain CommonJS
    execArgv: [],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const onMessage = (m: { port?: number; error?: string }) => {
      worker.off('error', reject);
      if (m.port) resolve(m.port);
      else reject(new Error(`the local DynamoDB (dynalite) did not start: ${m.error}`));
    };
    worker.once('message', onMessage);
    worker.once('error', reject);
  });
  // the worker must not keep a finished CLI run alive
  worker.unref();
  return {
    port,
    async stop() {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        worker.once('message', () => {
          clearTimeout(timer);
          resolve();
        });
        worker.postMessage('close');
      });
      await worker.terminate();
    },
  };
}

export async function startStandIns(
  options: {
    dataDir?: string;
    dynamoPath?: string;
    /**
     * keep dynalite's tables in a temporary LevelDB folder (removed on stop) rather than in memory:
     * in memory, a 78k-customer publish held ~150 MiB of items and their indexes in the process
     */
    dynamoOnDisk?: boolean;
    s3Port?: number;
    /** write a CPU profile of dynalite's worker thread into this folder when stopped (test/bench) */
    profileDir?: string;
  } = {},
): Promise<StandIns> {
  const ownDir = !options.dataDir;
  const directory = options.dataDir ?? mkdtempSync(join(tmpdir(), 'segmentation-s3-'));
  const ownDynamoDir = !options.dynamoPath && options.dynamoOnDisk === true;
  const dynamoPath = ownDynamoDir
    ? mkdtempSync(join(tmpdir(), 'segmentation-dynamodb-'))
    : options.dynamoPath;
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: options.s3Port ?? 0,
    silent: true,
    directory,
    allowMismatchedSignatures: true,
  });
  // first in the chain, so every controller sees the decoded body
  (s3rver as unknown as { middleware: unknown[] }).middleware.unshift(decodeAwsChunked);
  const removeFolders = (): void => {
    if (ownDir) rmSync(directory, { recursive: true, force: true });
    if (ownDynamoDir && dynamoPath) rmSync(dynamoPath, { recursive: true, force: true });
  };
  // dynalite boots on its own thread while s3rver starts on this one
  const dynamoStarting = startDynamoWorker(dynamoPath, options.profileDir);
  dynamoStarting.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  let s3: { port: number };
  try {
    s3 = await s3rver.run();
  } catch (error) {
    await dynamoStarting.then(
      (d) => d.stop(),
      () => undefined,
    );
    removeFolders();
    throw error;
  }
  let dynamo: DynamoWorker;
  try {
    dynamo = await dynamoStarting;
  } catch (error) {
    await s3rver.close();
    removeFolders();
    throw error;
  }
  const s3Endpoint = `http://127.0.0.1:${s3.port}`;
  const dynamoEndpoint = `http://127.0.0.1:${dynamo.port}`;
  return {
    s3Endpoint,
    dynamoEndpoint,
    dynamoPath,
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
      // one after the other: dynalite's LevelDB must be closed (or its worker ended) before its
      // folder goes; closing both servers side by side once ended a 1M-row run in a segfault
      await s3rver.close();
      await dynamo.stop();
      removeFolders();
    },
  };
}
