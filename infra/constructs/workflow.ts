// The segmentation workflow: Ingest → BuildFeatures (Distributed Map) → Fit → Score (Distributed
// Map) → Validate → Publish (Parallel) → Report, with a Catch on every step that quarantines the
// input. JSONPath only (no JSONata, no ItemReader/ResultWriter) so the local runner executes this
// very definition.
import { type CfnResource, Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  Parallel,
  Pass,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { PREFIXES } from '../../lib/storage/keys.js';
import { AUDIENCE_PUBLISH_ERROR, LAMBDA_TIMEOUT_ERROR, TRANSIENT_ERROR } from '../../lib/util/error-names.js';
import { logicalId, SegmentationFunction } from './segmentation-function.js';

export interface SegmentationWorkflowProps {
  readonly bucket: Bucket;
  /** the data key encrypting the bucket and the tables */
  readonly key: IKey;
  /** Secrets Manager ARNs publish-audiences may read (destination credentials) */
  readonly destinationSecretArns?: readonly string[];
  readonly tables: { catalog: Table; memberships: Table; runs: Table };
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** parallel shard workers per Distributed Map */
  readonly maxConcurrency: number;
  /**
   * Parallel PublishMemberships shard workers (at most `maxConcurrency`): each writes ~2,000 items/s,
   * 4,000 WRU/s with the bySegment index, so 10 reach the default 40,000 WRU/s table quota and more
   * would only be throttled and retried (docs/scale.md). Raise it with the table's quota.
   * @default 10
   */
  readonly membershipWriters?: number;
  readonly shardMemoryMb: number;
  /**
   * Bytes per Ingest range: large plain-text drops are cut into ranges of about this size, each read
   * by its own IngestRanges worker. @default - the library's DEFAULT_RANGE_BYTES (lib/ingest/ranges.ts)
   */
  readonly ingestRangeBytes?: number;
}

/** Errors worth retrying: the Lambda service's own, never our named input errors. */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

/**
 * A function that ran out of time or memory: `Sandbox.Timedout` is the error type Lambda reports for
 * a timeout, `Runtime.ExitError` for a runtime killed mid-invocation (out of memory), `Lambda.Unknown`
 * what Step Functions reports for an unhandled crash without a type, `States.Timeout` the task's own
 * guard. Retried once: enough for a host that stalled, while a step that is simply too slow or too big
 * for its data fails after two tries, not five.
 */
export const TIMEOUT_ERRORS = [LAMBDA_TIMEOUT_ERROR, 'Runtime.ExitError', 'Lambda.Unknown', 'States.Timeout'];

/** Headroom of a task's TimeoutSeconds over its function's timeout, so Lambda's own timeout comes first. */
export const TASK_TIMEOUT_MARGIN_SECONDS = 60;

export class SegmentationWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly functions: Record<string, SegmentationFunction> = {};

  constructor(scope: Construct, id: string, props: SegmentationWorkflowProps) {
    super(scope, id);
    const { bucket, tables } = props;
    const timeouts = new Map<SegmentationFunction, Duration>();
    const fn = (name: string, memorySize: number, timeout: Duration): SegmentationFunction => {
      const f = new SegmentationFunction(this, `${pascal(name)}Function`, {
        handlerName: name,
        memorySize,
        timeout,
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
        environment: { BUCKET_NAME: bucket.bucketName },
      });
      Validations.of(f).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously by Step Functions, never asynchronously: a failure is a task error handled by the ' +
          "state's Retry and Catch → Quarantine, so a Lambda dead-letter queue would never receive anything.",
      });
      this.functions[name] = f;
      timeouts.set(f, timeout);
      return f;
    };
    const { key } = props;
    const { catalog, memberships, runs } = tables;
    const withTables = (f: SegmentationFunction): SegmentationFunction => {
      // every function using the segment store needs all three names (one Tables object)
      f.addEnvironment('CATALOG_TABLE', catalog.tableName);
      f.addEnvironment('MEMBERSHIPS_TABLE', memberships.tableName);
      f.addEnvironment('RUNS_TABLE', runs.tableName);
      return f;
    };

    // least privilege by key prefix: each step reads what it needs and writes only its own outputs.
    // Ingest plans (file heads, split scan) and writes the plan; the range workers read their byte
    // range of the snapshot's object versions; the merge writes the reports
    const ingest = fn('ingest', 3008, Duration.minutes(15)).grantObjects(bucket, key, {
      // snapshots/: the object list of a drop too long for the execution input (lib/pipeline/snapshot.ts)
      read: [PREFIXES.config, PREFIXES.snapshots],
      readVersions: [PREFIXES.incoming],
      put: [PREFIXES.runs, PREFIXES.rejected],
    });
    if (props.ingestRangeBytes !== undefined)
      ingest.addEnvironment('RANGE_BYTES', String(props.ingestRangeBytes));
    // one vCPU (1,769 MB) reads a 256 MiB range in well under a minute (docs/scale.md); the timeout
    // leaves room for a slow store or a range of very wide rows
    // 15 minutes, not the ~1 minute a 256 MiB range needs: a gzip or Parquet file is one range read whole,
    // and must get the time the single Ingest function had (docs/scale.md, item 1)
    const ingestRange = fn('ingest-range', 1769, Duration.minutes(15)).grantObjects(bucket, key, {
      readVersions: [PREFIXES.incoming],
      read: [PREFIXES.runs],
      put: [PREFIXES.runs],
    });
    const ingestMerge = fn('ingest-merge', 1024, Duration.minutes(5)).grantObjects(bucket, key, {
      read: [PREFIXES.runs],
      put: [PREFIXES.runs, PREFIXES.rejected],
    });
    const buildFeatures = fn('build-features', props.shardMemoryMb, Duration.minutes(15));
    const fit = fn('fit', 3008, Duration.minutes(15));
    const score = fn('score', props.shardMemoryMb, Duration.minutes(15));
    const validate = fn('validate', 1024, Duration.minutes(5));
    for (const f of [buildFeatures, fit, score, validate])
      f.grantObjects(bucket, key, { readWrite: [PREFIXES.runs] });
    // the previous run's state (segment identity, holdouts for lift) is read when fitting and checking
    for (const f of [fit, score, validate]) f.grantObjects(bucket, key, { read: [PREFIXES.state] });
    // One worker per shard writes the memberships delta of its customer-hash range: it reads the run and
    // the published state (state/, also the remembered erasures) and writes only its own state and counts,
    // in the run folder. Measured with test/bench/shard.ts (docs/scale.md): 600 MiB peak for a 100k-customer
    // shard (with the DynamoDB stand-in in the process), 63 s for its first publish; the shard workers'
    // memory gives it a whole vCPU for the digests; 15 minutes leaves room for throttling retries
    const publishMembershipsShard = withTables(
      fn('publish-memberships-shard', props.shardMemoryMb, Duration.minutes(15)),
    )
      .grantObjects(bucket, key, { read: [PREFIXES.runs, PREFIXES.state], put: [PREFIXES.runs] })
      .grantTableWrites(key, memberships);
    // The finish publishes the workers' state (copies into state/, switches the manifest, deletes the
    // superseded files), writes the catalog and the erasure report: small work, whatever the shard count
    const publishMemberships = withTables(fn('publish-memberships', 1024, Duration.minutes(15)))
      .grantObjects(bucket, key, { read: [PREFIXES.runs], readWrite: [PREFIXES.state], put: [PREFIXES.runs] })
      .grantTableWrites(key, catalog, memberships, runs)
      .grantTableQuery(key, memberships, ['bySegment']);
    // exports/ is rewritten each run (stale segment files are listed and deleted); erasures are read from state/
    const publishExports = fn('publish-exports', 2048, Duration.minutes(15)).grantObjects(bucket, key, {
      read: [PREFIXES.runs, PREFIXES.state],
      readWrite: [PREFIXES.exports],
    });
    // state/ holds each audience's last pushed members (hashed) and the push checkpoints
    const publishAudiences = fn('publish-audiences', 2048, Duration.minutes(15)).grantObjects(bucket, key, {
      readWrite: [PREFIXES.runs, PREFIXES.state],
      put: [PREFIXES.audiences],
    });
    const secretArns = props.destinationSecretArns ?? [];
    if (secretArns.length > 0) {
      // ARNs, never values: the handler fetches each secret at cold start (no secret in env vars)
      publishAudiences.addEnvironment('DESTINATION_SECRET_ARNS', secretArns.join(','));
      publishAudiences.addToRolePolicy(
        new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [...secretArns] }),
      );
    }
    const report = withTables(fn('report', 1024, Duration.minutes(5)))
      // the report leaves a pointer to this run in state/ for the next run's identity and lift checks
      .grantObjects(bucket, key, { readWrite: [PREFIXES.runs, PREFIXES.state], put: [PREFIXES.exports] })
      .grantTableWrites(key, runs, catalog);
    const quarantine = withTables(fn('quarantine', 512, Duration.minutes(15)))
      .grantObjects(bucket, key, {
        read: [PREFIXES.snapshots],
        readVersions: [PREFIXES.incoming],
        put: [PREFIXES.rejected],
      })
      .grantTableWrites(key, runs);

    const run = { 'dataset.$': '$.dataset', 'runId.$': '$.runId' };
    const sharded = { ...run, 'shardCount.$': '$.ingest.shardCount' };
    const task = (
      stateId: string,
      f: SegmentationFunction,
      payload: Record<string, unknown>,
      // undefined: the result replaces the input (the States Language default, '$'), which the local
      // engine (aws-local-stepfunctions 3) gets right only when ResultPath is absent
      resultPath: string | undefined,
    ) =>
      new LambdaInvoke(this, stateId, {
        lambdaFunction: f,
        payload: TaskInput.fromObject(payload),
        // the handler's return value is the state's result: identical locally and in AWS
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        resultPath,
        // a guard for an invoke that never answers; Lambda's own timeout (Sandbox.Timedout) comes first.
        // Also what the local engine enforces (its default is 60 s without it)
        taskTimeout: Timeout.duration(
          Duration.seconds(
            (timeouts.get(f) ?? Duration.minutes(15)).toSeconds() + TASK_TIMEOUT_MARGIN_SECONDS,
          ),
        ),
      })
        // every step is safe to run again: outputs are keyed by run, writes are idempotent or
        // checkpointed (memberships as deltas, audience batches resumed), so a retry duplicates nothing
        // a handler's own temporary failure (S3/DynamoDB throttling or 5xx after the SDK's retries, a
        // reset socket): functions/shared/errors.ts names it so. Never an input error
        .addRetry({
          errors: [TRANSIENT_ERROR],
          // the SDK has already retried for about a second: give a throttled prefix or partition time
          interval: Duration.seconds(5),
          maxAttempts: 4,
          backoffRate: 2,
          maxDelay: Duration.seconds(60),
          jitterStrategy: JitterType.FULL,
        })
        .addRetry({
          errors: TRANSIENT_ERRORS,
          interval: Duration.seconds(2),
          maxAttempts: 5,
          backoffRate: 2,
          jitterStrategy: JitterType.FULL,
        })
        .addRetry({
          errors: TIMEOUT_ERRORS,
          interval: Duration.seconds(5),
          maxAttempts: 1,
          jitterStrategy: JitterType.FULL,
        });

    const shardMap = (
      stateId: string,
      f: SegmentationFunction,
      // more of the run's input for each worker (e.g. the shard count), beside dataset, runId, shard, asOfMs
      extra: Record<string, string> = {},
      maxConcurrency = props.maxConcurrency,
    ): DistributedMap => {
      // Distributed, not inline: each shard is its own child execution, so a run scales with the
      // shard count instead of one execution's 25,000-event history limit
      const map = new DistributedMap(this, stateId, {
        itemsPath: '$.ingest.shards',
        itemSelector: {
          ...run,
          'asOfMs.$': '$.ingest.asOfMs',
          'shard.$': '$$.Map.Item.Value',
          ...extra,
        },
        maxConcurrency,
        // deliberately none: a missing shard or range would publish segments without its customers (a
        // partial publish); each worker already retries what may pass, so a shard that still fails fails
        // the run, named, and the next run starts clean
        toleratedFailurePercentage: 0,
        mapExecutionType: StateMachineType.STANDARD,
        resultPath: JsonPath.DISCARD,
      });
      // each child returns only its shard number: the collected results stay tiny
      const worker = task(
        `${stateId}Shard`,
        f,
        {
          'dataset.$': '$.dataset',
          'runId.$': '$.runId',
          'shard.$': '$.shard',
          'asOfMs.$': '$.asOfMs',
          ...Object.fromEntries(Object.keys(extra).map((k) => [k, `$.${k.slice(0, -2)}`])),
        },
        '$.result',
      );
      return map.itemProcessor(
        worker.next(new Succeed(this, `${stateId}ShardDone`, { outputPath: '$.shard.index' })),
      );
    };

    const quarantineStep = task(
      'Quarantine',
      quarantine,
      { ...run, 'objects.$': '$.objects', 'error.$': '$.error' },
      '$.quarantine',
    ).next(new Fail(this, 'RunFailed', { error: 'RunQuarantined', causePath: '$.quarantine.error.message' }));

    // Distributed, like the shard maps: a 100 GB drop is about 400 ranges, each its own child execution
    const ingestRanges = new DistributedMap(this, 'IngestRanges', {
      itemsPath: '$.ingest.ranges',
      itemSelector: { ...run, 'range.$': '$$.Map.Item.Value' },
      maxConcurrency: props.maxConcurrency,
      toleratedFailurePercentage: 0,
      mapExecutionType: StateMachineType.STANDARD,
      resultPath: JsonPath.DISCARD,
    }).itemProcessor(
      task(
        'IngestRange',
        ingestRange,
        { 'dataset.$': '$.dataset', 'runId.$': '$.runId', 'range.$': '$.range' },
        '$.result',
      ).next(new Succeed(this, 'IngestRangeDone', { outputPath: '$.range.index' })),
    );

    const steps = [
      // the plan's range list sits at $.ingest until MergeIngest replaces it with the shard list, so
      // it never rides along through the later states
      task('Ingest', ingest, { ...run, 'objects.$': '$.objects' }, '$.ingest'),
      ingestRanges,
      task('MergeIngest', ingestMerge, run, '$.ingest'),
      shardMap('BuildFeatures', buildFeatures),
      task('Fit', fit, sharded, '$.fit'),
      shardMap('Score', score),
      task('Validate', validate, sharded, '$.validate'),
      new Parallel(this, 'Publish', { resultPath: '$.publish' })
        .branch(
          // the shards' deltas, then one finish that publishes their state only if every shard succeeded
          shardMap(
            'PublishMemberships',
            publishMembershipsShard,
            { 'shardCount.$': '$.ingest.shardCount' },
            Math.min(props.maxConcurrency, props.membershipWriters ?? 10),
          ).next(task('FinishMemberships', publishMemberships, sharded, undefined)),
        )
        .branch(task('PublishExports', publishExports, sharded, '$'))
        .branch(
          // a platform that keeps failing must not stop the DynamoDB and export branches (a failed
          // branch cancels its siblings): the destinations' failure is kept and fails the run after Report
          task('PublishAudiences', publishAudiences, sharded, '$').addCatch(
            new Pass(this, 'AudiencesFailed'),
            { errors: [AUDIENCE_PUBLISH_ERROR], resultPath: '$.failure' },
          ),
        ),
      task(
        'Report',
        report,
        { ...run, 'asOfMs.$': '$.ingest.asOfMs', 'startedAt.$': '$$.Execution.StartTime' },
        '$.report',
      ),
    ];
    for (const step of steps)
      step.addCatch(quarantineStep, { errors: ['States.ALL'], resultPath: '$.error' });
    let chain: (typeof steps)[number] = steps[0];
    for (const step of steps.slice(1)) {
      chain.next(step);
      chain = step;
    }
    chain.next(
      new Choice(this, 'CheckAudiences')
        .when(
          Condition.isPresent('$.publish[2].failure'),
          new Fail(this, 'AudiencePushFailed', {
            error: 'AudiencePushFailed',
            causePath: '$.publish[2].failure.Cause',
          }),
        )
        .otherwise(new Succeed(this, 'Done')),
    );

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(steps[0]),
      stateMachineType: StateMachineType.STANDARD,
      tracingEnabled: true,
      timeout: Duration.hours(6),
      logs: {
        destination: new LogGroup(this, 'ExecutionLogs', {
          retention: props.logRetention,
          removalPolicy: props.removalPolicy,
        }),
        level: LogLevel.ALL,
        // execution data would put customer ids in logs
        includeExecutionData: false,
      },
    });
    this.acknowledgeStateMachineFindings();
  }

  /** The state machine role's findings, each one acknowledged on its own with the reason. */
  private acknowledgeStateMachineFindings(): void {
    const role = this.stateMachine.role;
    for (const f of Object.values(this.functions)) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId(f.node.defaultChild as CfnResource)}.Arn>:*]`,
        reason: `CDK's LambdaInvoke grant also allows qualified ARNs (versions/aliases) of the ${f.handlerName} function; no other function.`,
      });
    }
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Two services without resource-level permissions: X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, ' +
        'GetSamplingRules, GetSamplingTargets) and the vended-log delivery Step Functions uses for ALL-level logging ' +
        '(logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, ' +
        'PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups).',
    });
    // Distributed Map: the parent execution starts, describes and stops its own child executions,
    // whose names are generated at run time
    const machine = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId(this.stateMachine.node.defaultChild as CfnResource)}"}]}]}`;
    const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${machine}`;
    const policy = this.stateMachine.node.tryFindChild('DistributedMapPolicy') ?? this.stateMachine;
    for (const resource of [`${executions}:*`, `${executions}/*:*`]) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason:
          'Distributed Map child executions of this state machine only; their names are generated per run.',
      });
    }
  }
}

function pascal(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
}
