// AudienceSegmentation: the whole product as one construct — encrypted bucket, tables, the
// Step Functions workflow with its Lambdas, and the S3 → EventBridge trigger. The stack in
// stack.ts is a thin wrapper; users can place this construct in their own CDK app.
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SegmentationFunction } from './constructs/segmentation-function.js';
import { SegmentationWorkflow } from './constructs/workflow.js';

export interface AudienceSegmentationProps {
  /** Days dropped exports under incoming/ are kept (data minimisation). @default 30 */
  readonly incomingRetentionDays?: number;
  /** Days run scratch under runs/ is kept. @default 14 */
  readonly runRetentionDays?: number;
  /** Days quarantined inputs under rejected/ are kept. @default 90 */
  readonly rejectedRetentionDays?: number;
  /** Days noncurrent object versions are kept. @default 7 */
  readonly noncurrentVersionDays?: number;
  /** Log retention for every function and the state machine. @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
  /** What happens to data stores when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Parallel shards in each Distributed Map. @default 40 */
  readonly maxConcurrency?: number;
  /** Memory for the shard workers (BuildFeatures, Score) in MB. @default 2048 */
  readonly shardMemoryMb?: number;
}

export class AudienceSegmentation extends Construct {
  readonly bucket: Bucket;
  readonly key: Key;
  readonly catalogTable: Table;
  readonly membershipsTable: Table;
  readonly runsTable: Table;
  readonly workflow: SegmentationWorkflow;
  readonly starter: SegmentationFunction;

  constructor(scope: Construct, id: string, props: AudienceSegmentationProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? RetentionDays.THREE_MONTHS;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;

    this.key = new Key(this, 'DataKey', {
      description: 'Encrypts customer data at rest: drops, run scratch, exports and tables',
      enableKeyRotation: true,
      removalPolicy,
    });

    const accessLogs = new Bucket(this, 'AccessLogs', {
      // server access logs cannot be delivered to a KMS-encrypted bucket
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy,
      autoDeleteObjects: destroy,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });

    this.bucket = new Bucket(this, 'Data', {
      encryption: BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      versioned: true,
      eventBridgeEnabled: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'data-bucket/',
      removalPolicy,
      autoDeleteObjects: destroy,
      lifecycleRules: [
        { id: 'incoming', prefix: 'incoming/', expiration: Duration.days(props.incomingRetentionDays ?? 30) },
        { id: 'runs', prefix: 'runs/', expiration: Duration.days(props.runRetentionDays ?? 14) },
        { id: 'rejected', prefix: 'rejected/', expiration: Duration.days(props.rejectedRetentionDays ?? 90) },
        {
          id: 'noncurrent',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays ?? 7),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });

    const table = (tid: string, pk: string, sk: string): Table =>
      new Table(this, tid, {
        partitionKey: { name: pk, type: AttributeType.STRING },
        sortKey: { name: sk, type: AttributeType.STRING },
        billingMode: BillingMode.PAY_PER_REQUEST,
        encryption: TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.key,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy,
      });
    this.catalogTable = table('Catalog', 'dataset', 'segmentId');
    this.membershipsTable = table('Memberships', 'pk', 'sk');
    this.membershipsTable.addGlobalSecondaryIndex({
      indexName: 'bySegment',
      partitionKey: { name: 'segmentKey', type: AttributeType.STRING },
      sortKey: { name: 'customerId', type: AttributeType.STRING },
    });
    this.runsTable = table('Runs', 'dataset', 'runId');

    this.workflow = new SegmentationWorkflow(this, 'Workflow', {
      bucket: this.bucket,
      tables: { catalog: this.catalogTable, memberships: this.membershipsTable, runs: this.runsTable },
      logRetention,
      removalPolicy,
      maxConcurrency: props.maxConcurrency ?? 40,
      shardMemoryMb: props.shardMemoryMb ?? 2048,
    });

    this.starter = new SegmentationFunction(this, 'Starter', {
      handlerName: 'starter',
      memorySize: 256,
      timeout: Duration.seconds(30),
      logRetention,
      removalPolicy,
      environment: {
        BUCKET_NAME: this.bucket.bucketName,
        STATE_MACHINE_ARN: this.workflow.stateMachine.stateMachineArn,
      },
    });
    this.bucket.grantRead(this.starter, 'incoming/*');
    this.workflow.stateMachine.grantStartExecution(this.starter);

    const deadLetters = new Queue(this, 'TriggerDeadLetters', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the S3 → starter trigger.',
    });
    new Rule(this, 'ExportDropped', {
      description: 'A marketer dropped an export under incoming/: start a run for the dataset snapshot',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [this.bucket.bucketName] }, object: { key: [{ prefix: 'incoming/' }] } },
      },
      targets: [
        new LambdaFunction(this.starter, {
          deadLetterQueue: deadLetters,
          retryAttempts: 4,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });
  }
}
