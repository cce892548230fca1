// The segmentation workflow: Ingest → BuildFeatures (Distributed Map) → Fit → Score (Distributed
// Map) → Validate → Publish (Parallel) → Report, with a Catch on every step that quarantines the
// input. JSONPath only (no JSONata, no ItemReader/ResultWriter) so the local runner executes this
// very definition.
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import {
  DefinitionBody,
  DistributedMap,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  Parallel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { SegmentationFunction } from './segmentation-function.js';

export interface SegmentationWorkflowProps {
  readonly bucket: Bucket;
  readonly tables: { catalog: Table; memberships: Table; runs: Table };
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** parallel shard workers per Distributed Map */
  readonly maxConcurrency: number;
  readonly shardMemoryMb: number;
}

/** Errors worth retrying: the Lambda service's own, never our named input errors. */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.Unknown',
];

export class SegmentationWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly functions: Record<string, SegmentationFunction> = {};

  constructor(scope: Construct, id: string, props: SegmentationWorkflowProps) {
    super(scope, id);
    const { bucket, tables } = props;
    const fn = (name: string, memorySize: number, timeout: Duration): SegmentationFunction => {
      const f = new SegmentationFunction(this, `${pascal(name)}Function`, {
        handlerName: name,
        memorySize,
        timeout,
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
        environment: { BUCKET_NAME: bucket.bucketName },
      });
      this.functions[name] = f;
      return f;
    };
    const withTables = (f: SegmentationFunction): SegmentationFunction => {
      f.addEnvironment('CATALOG_TABLE', tables.catalog.tableName);
      f.addEnvironment('MEMBERSHIPS_TABLE', tables.memberships.tableName);
      f.addEnvironment('RUNS_TABLE', tables.runs.tableName);
      tables.catalog.grantWriteData(f);
      tables.memberships.grantReadWriteData(f);
      tables.runs.grantWriteData(f);
      return f;
    };

    // least privilege by key prefix: each step reads what it needs and writes only its own outputs
    const ingest = fn('ingest', 3008, Duration.minutes(15));
    bucket.grantRead(ingest, 'incoming/*');
    bucket.grantRead(ingest, 'config/*');
    bucket.grantReadWrite(ingest, 'runs/*');
    bucket.grantPut(ingest, 'rejected/*');
    const buildFeatures = fn('build-features', props.shardMemoryMb, Duration.minutes(15));
    const fit = fn('fit', 3008, Duration.minutes(15));
    const score = fn('score', props.shardMemoryMb, Duration.minutes(15));
    const validate = fn('validate', 1024, Duration.minutes(5));
    for (const f of [buildFeatures, fit, score, validate]) bucket.grantReadWrite(f, 'runs/*');
    const publishMemberships = withTables(fn('publish-memberships', 1024, Duration.minutes(15)));
    bucket.grantRead(publishMemberships, 'runs/*');
    const publishExports = fn('publish-exports', 2048, Duration.minutes(15));
    bucket.grantRead(publishExports, 'runs/*');
    bucket.grantPut(publishExports, 'exports/*');
    const publishAudiences = fn('publish-audiences', 2048, Duration.minutes(15));
    bucket.grantReadWrite(publishAudiences, 'runs/*');
    bucket.grantPut(publishAudiences, 'audiences/*');
    const report = withTables(fn('report', 1024, Duration.minutes(5)));
    bucket.grantReadWrite(report, 'runs/*');
    const quarantine = withTables(fn('quarantine', 512, Duration.minutes(15)));
    bucket.grantRead(quarantine, 'incoming/*');
    bucket.grantPut(quarantine, 'rejected/*');

    const run = { 'dataset.$': '$.dataset', 'runId.$': '$.runId' };
    const sharded = { ...run, 'shardCount.$': '$.ingest.shardCount' };
    const task = (
      stateId: string,
      f: SegmentationFunction,
      payload: Record<string, unknown>,
      resultPath: string,
    ) =>
      new LambdaInvoke(this, stateId, {
        lambdaFunction: f,
        payload: TaskInput.fromObject(payload),
        // the handler's return value is the state's result: identical locally and in AWS
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        resultPath,
      }).addRetry({
        errors: TRANSIENT_ERRORS,
        interval: Duration.seconds(2),
        maxAttempts: 5,
        backoffRate: 2,
        jitterStrategy: JitterType.FULL,
      });

    const shardMap = (stateId: string, f: SegmentationFunction): DistributedMap => {
      // Distributed, not inline: each shard is its own child execution, so a run scales with the
      // shard count instead of one execution's 25,000-event history limit
      const map = new DistributedMap(this, stateId, {
        itemsPath: '$.ingest.shards',
        itemSelector: {
          ...run,
          'asOfMs.$': '$.ingest.asOfMs',
          'shard.$': '$$.Map.Item.Value',
        },
        maxConcurrency: props.maxConcurrency,
        toleratedFailurePercentage: 0,
        mapExecutionType: StateMachineType.STANDARD,
        resultPath: JsonPath.DISCARD,
      });
      // each child returns only its shard number: the collected results stay tiny
      const worker = task(
        `${stateId}Shard`,
        f,
        { 'dataset.$': '$.dataset', 'runId.$': '$.runId', 'shard.$': '$.shard', 'asOfMs.$': '$.asOfMs' },
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

    const steps = [
      task('Ingest', ingest, { ...run, 'objects.$': '$.objects' }, '$.ingest'),
      shardMap('BuildFeatures', buildFeatures),
      task('Fit', fit, sharded, '$.fit'),
      shardMap('Score', score),
      task('Validate', validate, sharded, '$.validate'),
      new Parallel(this, 'Publish', { resultPath: '$.publish' })
        .branch(task('PublishMemberships', publishMemberships, sharded, '$'))
        .branch(task('PublishExports', publishExports, sharded, '$'))
        .branch(task('PublishAudiences', publishAudiences, sharded, '$')),
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
    chain.next(new Succeed(this, 'Done'));

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
  }
}

function pascal(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
}
