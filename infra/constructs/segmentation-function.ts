// Every Lambda of the product comes from this one class, so runtime, architecture, bundling,
// logging, tracing and the execution role are decided once. Bundled by esbuild locally (no Docker).
// Each function gets its own role whose only built-in right is writing to its own log group; every
// other permission is an explicit action list added by the caller (see grantObjects/grantTables).
import { fileURLToPath } from 'node:url';
import { type CfnResource, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, type CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { HANDLER_METADATA } from './handler-metadata.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Metadata key the local runner reads to map a synthesized function back to its handler folder. */
export { HANDLER_METADATA };

/** CloudWatch namespace the handlers publish their business metrics to (Powertools Metrics). */
export const METRICS_NAMESPACE = 'AudienceSegmentation';

/** Why nodejs22.x and not the newest runtime: cdk-nag L1 / LambdaLatestVersion acknowledgement. */
export const RUNTIME_REASON =
  'nodejs22.x is a deliberate decision (docs/architecture.md, "Runtime"): the current LTS ' +
  'on Lambda, the version CI tests against; it is upgraded on purpose, not by a synth-time lookup.';

export interface SegmentationFunctionProps {
  /** folder under functions/ holding handler.ts */
  readonly handlerName: string;
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default 5 minutes */
  readonly timeout?: Duration;
  readonly environment?: Record<string, string>;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** Object access by key prefix ('runs/', 'incoming/'…), each prefix ending in '/'. */
export interface ObjectAccess {
  /** GetObject (+ ListBucket under the prefix) */
  readonly read?: readonly string[];
  /** GetObject + GetObjectVersion (CopyObject of a given version needs both) */
  readonly readVersions?: readonly string[];
  /** GetObject, PutObject, DeleteObject (+ ListBucket under the prefix) */
  readonly readWrite?: readonly string[];
  /** PutObject only */
  readonly put?: readonly string[];
  /** ListBucket under the prefix, no object read */
  readonly list?: readonly string[];
}

export class SegmentationFunction extends NodejsFunction {
  /** the folder under functions/ this function runs */
  readonly handlerName: string;
  readonly executionRole: Role;

  constructor(scope: Construct, id: string, props: SegmentationFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // an own role instead of AWSLambdaBasicExecutionRole: logs only to this function's log group
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.handlerName} function`,
      inlinePolicies: {
        logs: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
    super(scope, id, {
      entry: `${repoRoot}functions/${props.handlerName}/handler.ts`,
      handler: 'main',
      projectRoot: repoRoot,
      depsLockFilePath: `${repoRoot}package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.minutes(5),
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'audience-segmentation',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // the AWS SDK v3 ships with the runtime: keep bundles small
        externalModules: ['@aws-sdk/*'],
        // some dependencies are CommonJS and call require(): give ESM bundles a require
        banner: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);",
      },
    });
    this.handlerName = props.handlerName;
    this.executionRole = role;
    (this.node.defaultChild as CfnFunction).addMetadata(HANDLER_METADATA, props.handlerName);

    Validations.of(this).acknowledge(
      { id: 'AwsSolutions-L1', reason: RUNTIME_REASON },
      { id: 'Serverless-LambdaLatestVersion', reason: RUNTIME_REASON },
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level ' +
        'permissions, so X-Ray requires Resource "*". No other statement of this role uses "*".',
    });
  }

  /**
   * Explicit S3 object permissions on key prefixes, with the one KMS action each needs (Decrypt to
   * read, GenerateDataKey to write) on the bucket's key. Each `<bucket>/<prefix>*` resource is a
   * wildcard only because keys under a prefix are not known at deploy time: it is acknowledged here,
   * on this function's role, one finding per prefix.
   */
  grantObjects(bucket: Bucket, key: IKey, access: ObjectAccess): this {
    const read = [...(access.read ?? []), ...(access.readWrite ?? [])];
    const versions = access.readVersions ?? [];
    const write = [...(access.readWrite ?? []), ...(access.put ?? [])];
    const list = [...read, ...versions, ...(access.list ?? [])];
    const objects = (prefixes: readonly string[]): string[] =>
      prefixes.map((p) => bucket.arnForObjects(`${p}*`));
    const add = (actions: string[], resources: string[]): void => {
      if (resources.length > 0) this.addToRolePolicy(new PolicyStatement({ actions, resources }));
    };
    add(['s3:GetObject'], objects(read));
    add(['s3:GetObject', 's3:GetObjectVersion'], objects(versions));
    add(['s3:PutObject'], objects(write));
    add(['s3:DeleteObject'], objects(access.readWrite ?? []));
    if (list.length > 0) {
      this.addToRolePolicy(
        new PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': unique(list).map((p) => `${p}*`) } },
        }),
      );
    }
    const kms = [
      ...(read.length + versions.length > 0 ? ['kms:Decrypt'] : []),
      ...(write.length > 0 ? ['kms:GenerateDataKey'] : []),
    ];
    if (kms.length > 0) add(kms, [key.keyArn]);

    const bucketId = logicalId(bucket.node.defaultChild as CfnBucket);
    for (const prefix of unique([...read, ...versions, ...write])) {
      Validations.of(this.executionRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: `Objects under ${prefix} have run-specific keys unknown at deploy time; access is scoped to that prefix.`,
      });
    }
    return this;
  }

  /** Explicit DynamoDB item writes (BatchWriteItem of puts/deletes) on each table, with the key's KMS use. */
  grantTableWrites(key: IKey, ...tables: Table[]): this {
    this.addToRolePolicy(
      new PolicyStatement({
        actions: [
          'dynamodb:BatchWriteItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ],
        resources: tables.map((t) => t.tableArn),
      }),
    );
    return this.grantTableKey(key);
  }

  /** Query on a table and on named indexes (explicit index ARNs, no index/* wildcard). */
  grantTableQuery(key: IKey, table: Table, indexNames: readonly string[] = []): this {
    this.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [table.tableArn, ...indexNames.map((n) => `${table.tableArn}/index/${n}`)],
      }),
    );
    return this.grantTableKey(key);
  }

  private tableKeyGranted = false;
  private grantTableKey(key: IKey): this {
    if (this.tableKeyGranted) return this;
    this.tableKeyGranted = true;
    // DynamoDB encrypts and decrypts with the table's customer managed key on the caller's behalf
    this.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn],
        conditions: { StringLike: { 'kms:ViaService': 'dynamodb.*.amazonaws.com' } },
      }),
    );
    return this;
  }
}

/** The resolved CloudFormation logical id of a resource (as cdk-nag prints it in finding ids). */
export function logicalId(resource: CfnResource): string {
  const stack = Stack.of(resource);
  return stack.resolve(stack.getLogicalId(resource)) as string;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
