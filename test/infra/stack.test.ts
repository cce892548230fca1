// Fine-grained assertions on the synthesized template: encryption, data minimisation, least
// privilege per function, the workflow definition's shape, alarms, and per-stage configuration.
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AudienceSegmentation,
  type AudienceSegmentationProps,
  AudienceSegmentationPropsError,
} from '../../infra/audience-segmentation.js';
import { buildApp } from '../../infra/build-app.js';
import { TRANSIENT_ERRORS } from '../../infra/constructs/workflow.js';
import {
  allStates,
  type CfnResource,
  type Definition,
  definitionOf,
  functionsByHandler,
  type Json,
  resourcesOf,
  statementsOfRole,
  synthStack,
} from '../support/template.js';

const HANDLERS = [
  'ingest',
  'ingest-range',
  'ingest-merge',
  'build-features',
  'fit',
  'score',
  'validate',
  'publish-memberships-shard',
  'publish-memberships',
  'publish-exports',
  'publish-audiences',
  'report',
  'quarantine',
  'starter',
];
const STATE_NAMES = [
  'Ingest',
  'IngestRanges',
  'IngestRange',
  'MergeIngest',
  'BuildFeatures',
  'BuildFeaturesShard',
  'Fit',
  'Score',
  'ScoreShard',
  'Validate',
  'Publish',
  'PublishMemberships',
  'PublishMembershipsShard',
  'FinishMemberships',
  'PublishExports',
  'PublishAudiences',
  'Report',
  'AudiencesFailed',
  'CheckAudiences',
  'AudiencePushFailed',
  'Quarantine',
  'RunFailed',
  'Done',
];

let template: Template;
let definition: Definition;
let dataBucketId: string;
let keyId: string;

const asArray = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const objectArn = (prefix: string): Json => ({
  'Fn::Join': ['', [{ 'Fn::GetAtt': [dataBucketId, 'Arn'] }, `/${prefix}*`]],
});
/** statements of the role of one product function */
const statementsOf = (handler: string): Record<string, Json>[] => {
  const fn = functionsByHandler(template)[handler].resource;
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  return statementsOfRole(template, roleId);
};
/** the S3 object actions a function has on objects under a prefix */
const objectActions = (handler: string, prefix: string): string[] =>
  statementsOf(handler)
    .filter((s) => asArray(s.Resource).some((r) => JSON.stringify(r) === JSON.stringify(objectArn(prefix))))
    .flatMap((s) => asArray(s.Action) as string[])
    .sort();

beforeAll(() => {
  // Prepare: one synthesis for the whole file, bundling skipped
  ({ template } = synthStack({ stage: 'dev' }));
  definition = definitionOf(template);
  dataBucketId = Object.keys(
    template.findResources('AWS::S3::Bucket', {
      Properties: { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } },
    }),
  )[0];
  keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0];
});

describe('data at rest', () => {
  it('rotates the one KMS key yearly', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('encrypts, versions, blocks, logs and expires the data bucket, and sends events to EventBridge', () => {
    expect(dataBucketId).toBeDefined();
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
              },
            },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: Match.stringLikeRegexp('AccessLogs') },
          LogFilePrefix: 'data-bucket/',
        },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ Prefix: 'incoming/', ExpirationInDays: 30, Status: 'Enabled' }),
            Match.objectLike({ Prefix: 'runs/', ExpirationInDays: 14, Status: 'Enabled' }),
            Match.objectLike({ Prefix: 'rejected/', ExpirationInDays: 90, Status: 'Enabled' }),
            Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 7 }, Status: 'Enabled' }),
          ]),
        },
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      }),
    });
  });

  it('keeps exactly one EventBridge-enabled bucket and no notification custom resource', () => {
    const buckets = Object.values(resourcesOf(template, 'AWS::S3::Bucket'));
    expect(
      buckets.filter((b) => JSON.stringify(b.Properties).includes('EventBridgeConfiguration')),
    ).toHaveLength(1);
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('denies non-TLS access to both buckets', () => {
    const policies = Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(2);
    for (const p of policies) {
      expect(JSON.stringify(p.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('keeps ACLs disabled and grants S3 log delivery by bucket policy, for the data bucket only', () => {
    for (const b of Object.values(resourcesOf(template, 'AWS::S3::Bucket'))) {
      expect(b.Properties.AccessControl).toBeUndefined();
    }
    template.hasResourceProperties('AWS::S3::Bucket', {
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: Match.objectLike({
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [dataBucketId, 'Arn'] } },
            }),
          }),
        ]),
      },
    });
  });

  it('versions the access-log bucket with noncurrent expiry and blocks public access', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 7 } }),
        ],
      },
      PublicAccessBlockConfiguration: Match.objectLike({
        BlockPublicAcls: true,
        RestrictPublicBuckets: true,
      }),
    });
  });

  it('gives the three tables their keys, the bySegment index, point-in-time recovery and the KMS key', () => {
    const tables = Object.values(resourcesOf(template, 'AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(3);
    const keys = tables.map((t) =>
      (t.Properties.KeySchema as { AttributeName: string }[]).map((k) => k.AttributeName).join('+'),
    );
    expect(keys.sort()).toEqual(['dataset+runId', 'dataset+segmentId', 'pk+sk']);
    for (const t of tables) {
      expect(t.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
        },
      });
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'bySegment',
          KeySchema: [
            { AttributeName: 'segmentKey', KeyType: 'HASH' },
            { AttributeName: 'customerId', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
  });
});

describe('trigger', () => {
  const queueIds = () => {
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    const settle = Object.keys(queues).find((id) => queues[id].Properties.RedrivePolicy !== undefined) ?? '';
    const settleDlq = (
      queues[settle].Properties.RedrivePolicy as { deadLetterTargetArn: { 'Fn::GetAtt': string[] } }
    ).deadLetterTargetArn['Fn::GetAtt'][0];
    const triggerDlq = Object.keys(queues).find((id) => id !== settle && id !== settleDlq) ?? '';
    return { queues, settle, settleDlq, triggerDlq };
  };
  const arnOf = (id: string): Json => ({ 'Fn::GetAtt': [id, 'Arn'] });

  it('sends objects created under incoming/ of the data bucket to the settle queue, with a dead-letter queue', () => {
    const { settle, triggerDlq } = queueIds();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: dataBucketId }] }, object: { key: [{ prefix: 'incoming/' }] } },
      },
      Targets: [
        {
          Id: 'Target0',
          Arn: arnOf(settle),
          DeadLetterConfig: { Arn: arnOf(triggerDlq) },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
        },
      ],
    });
    // no function is an EventBridge target any more: drops reach the starter only through the queue
    template.resourceCountIs('AWS::Lambda::Permission', 0);
  });

  it('holds drops for the settle window in a KMS-encrypted queue that redrives to its own dead-letter queue', () => {
    const { queues, settle, settleDlq, triggerDlq } = queueIds();
    expect(Object.keys(queues)).toHaveLength(3);
    expect(queues[settle].Properties).toEqual({
      DelaySeconds: 60,
      KmsMasterKeyId: arnOf(keyId),
      MessageRetentionPeriod: 4 * 86_400,
      VisibilityTimeout: 360,
      RedrivePolicy: { deadLetterTargetArn: arnOf(settleDlq), maxReceiveCount: 5 },
    });
    for (const dlq of [settleDlq, triggerDlq]) {
      expect(queues[dlq].Properties).toEqual({
        KmsMasterKeyId: arnOf(keyId),
        MessageRetentionPeriod: 14 * 86_400,
      });
    }
  });

  it('denies non-TLS access to every queue and admits EventBridge to the settle queue from the one rule only', () => {
    const { queues, settle } = queueIds();
    const ruleId = Object.keys(resourcesOf(template, 'AWS::Events::Rule'))[0];
    const policies = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'));
    const statementsFor = (queueId: string): Record<string, Json>[] => {
      const policy = policies.find(
        (p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: queueId }]),
      );
      return policy
        ? (policy.Properties.PolicyDocument as { Statement: Record<string, Json>[] }).Statement
        : [];
    };
    for (const id of Object.keys(queues)) {
      expect(statementsFor(id), id).toContainEqual({
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Resource: arnOf(id),
      });
    }
    const allows = statementsFor(settle).filter((st) => st.Effect === 'Allow');
    expect(allows).toEqual([
      {
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': arnOf(ruleId) } },
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Resource: arnOf(settle),
      },
    ]);
  });

  it('feeds the starter in batches with per-message failures, two at a time', () => {
    const { settle } = queueIds();
    const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping'));
    expect(mappings.map((m) => m.Properties)).toEqual([
      {
        BatchSize: 100,
        EventSourceArn: arnOf(settle),
        FunctionName: { Ref: functionsByHandler(template).starter.id },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumBatchingWindowInSeconds: 5,
        ScalingConfig: { MaximumConcurrency: 2 },
      },
    ]);
    const env = (
      functionsByHandler(template).starter.resource.Properties.Environment as {
        Variables: Record<string, Json>;
      }
    ).Variables;
    expect(env).toMatchObject({ SETTLE_QUEUE_URL: { Ref: settle }, SETTLE_SECONDS: '60' });
    expect(functionsByHandler(template).starter.resource.Properties.Timeout).toBe(60);
  });

  it('creates no schedule unless refreshes are configured', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    expect(Object.keys(resourcesOf(template, 'AWS::IAM::Role')).some((id) => id.includes('Scheduler'))).toBe(
      false,
    );
  });

  describe('scheduled refreshes from context', () => {
    let scheduled: Template;
    beforeAll(() => {
      ({ template: scheduled } = synthStack({
        stage: 'dev',
        settleSeconds: '120',
        schedules: JSON.stringify([
          { dataset: 'shop', expression: 'cron(0 6 ? * MON *)', timezone: 'Europe/Paris' },
          { dataset: 'crm', expression: 'rate(1 day)' },
        ]),
      }));
    });

    it('creates one schedule per dataset that queues {dataset, scheduledTime}, KMS-encrypted, with retries and a DLQ', () => {
      const queues = resourcesOf(scheduled, 'AWS::SQS::Queue');
      const settle =
        Object.keys(queues).find((id) => queues[id].Properties.RedrivePolicy !== undefined) ?? '';
      const key = Object.keys(resourcesOf(scheduled, 'AWS::KMS::Key'))[0];
      const rule = Object.values(resourcesOf(scheduled, 'AWS::Events::Rule'))[0];
      const triggerDlq = (rule.Properties.Targets as { DeadLetterConfig: { Arn: Json } }[])[0]
        .DeadLetterConfig.Arn;
      const schedules = Object.values(resourcesOf(scheduled, 'AWS::Scheduler::Schedule')).map(
        (r) => r.Properties,
      );
      const role = Object.keys(resourcesOf(scheduled, 'AWS::IAM::Role')).find((id) =>
        id.includes('SchedulerRole'),
      );
      const target = (dataset: string) => ({
        Arn: arnOf(settle),
        RoleArn: arnOf(role ?? ''),
        Input: JSON.stringify({ dataset, scheduledTime: '<aws.scheduler.scheduled-time>' }),
        DeadLetterConfig: { Arn: triggerDlq },
        RetryPolicy: { MaximumEventAgeInSeconds: 7200, MaximumRetryAttempts: 4 },
      });
      expect(schedules).toEqual([
        {
          Description: 'Refresh of dataset shop: cron(0 6 ? * MON *) (Europe/Paris)',
          FlexibleTimeWindow: { Mode: 'OFF' },
          KmsKeyArn: arnOf(key),
          ScheduleExpression: 'cron(0 6 ? * MON *)',
          ScheduleExpressionTimezone: 'Europe/Paris',
          State: 'ENABLED',
          Target: target('shop'),
        },
        {
          Description: 'Refresh of dataset crm: rate(1 day)',
          FlexibleTimeWindow: { Mode: 'OFF' },
          KmsKeyArn: arnOf(key),
          ScheduleExpression: 'rate(1 day)',
          ScheduleExpressionTimezone: 'Etc/UTC',
          State: 'ENABLED',
          Target: target('crm'),
        },
      ]);
      expect(queues[settle].Properties.DelaySeconds).toBe(120);
    });

    it('lets the scheduler role, assumable from this account only, send to the two queues and nothing else', () => {
      const queues = resourcesOf(scheduled, 'AWS::SQS::Queue');
      const settle =
        Object.keys(queues).find((id) => queues[id].Properties.RedrivePolicy !== undefined) ?? '';
      const rule = Object.values(resourcesOf(scheduled, 'AWS::Events::Rule'))[0];
      const triggerDlq = (rule.Properties.Targets as { DeadLetterConfig: { Arn: Json } }[])[0]
        .DeadLetterConfig.Arn;
      const key = arnOf(Object.keys(resourcesOf(scheduled, 'AWS::KMS::Key'))[0]);
      const roles = resourcesOf(scheduled, 'AWS::IAM::Role');
      const roleId = Object.keys(roles).find((id) => id.includes('SchedulerRole')) ?? '';
      expect(roles[roleId].Properties.AssumeRolePolicyDocument).toEqual({
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
          },
        ],
        Version: '2012-10-17',
      });
      expect(roles[roleId].Properties.ManagedPolicyArns).toBeUndefined();
      expect(statementsOfRole(scheduled, roleId)).toEqual([
        { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: [arnOf(settle), triggerDlq] },
        { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: key },
        // added by the Schedule construct for its encrypted payload (already covered above)
        { Action: 'kms:Decrypt', Effect: 'Allow', Resource: key },
      ]);
    });
  });
});

describe('functions', () => {
  it('are the fourteen product functions on nodejs22.x, arm64, active tracing and their own log group', () => {
    const fns = functionsByHandler(template);
    expect(Object.keys(fns).sort()).toEqual([...HANDLERS].sort());
    template.resourceCountIs('AWS::Lambda::Function', HANDLERS.length);
    const logGroups = resourcesOf(template, 'AWS::Logs::LogGroup');
    for (const { resource } of Object.values(fns)) {
      expect(resource.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
      const group = (resource.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(logGroups[group].Properties.RetentionInDays).toBe(30);
    }
  });

  it('share the env var names and never carry a secret value', () => {
    const fns = functionsByHandler(template);
    const env = (h: string): Record<string, Json> =>
      (fns[h].resource.Properties.Environment as { Variables: Record<string, Json> }).Variables;
    for (const h of HANDLERS) expect(env(h).BUCKET_NAME).toEqual({ Ref: dataBucketId });
    for (const h of ['publish-memberships', 'report', 'quarantine']) {
      expect(Object.keys(env(h))).toEqual(
        expect.arrayContaining(['CATALOG_TABLE', 'MEMBERSHIPS_TABLE', 'RUNS_TABLE']),
      );
    }
    expect(env('starter').STATE_MACHINE_ARN).toEqual({ Ref: expect.stringMatching(/StateMachine/) });
    for (const h of HANDLERS) {
      expect(
        Object.keys(env(h)).filter(
          (k) => /SECRET|PASSWORD|TOKEN|API_KEY/.test(k) && k !== 'DESTINATION_SECRET_ARNS',
        ),
      ).toEqual([]);
    }
  });
});

describe('least privilege', () => {
  it('uses no AWS managed policy and no wildcard action anywhere', () => {
    for (const role of Object.values(resourcesOf(template, 'AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
    const policies = [
      ...Object.values(resourcesOf(template, 'AWS::IAM::Policy')).map((p) => p.Properties.PolicyDocument),
      ...Object.values(resourcesOf(template, 'AWS::IAM::Role')).flatMap((r) =>
        ((r.Properties.Policies ?? []) as { PolicyDocument: Json }[]).map((p) => p.PolicyDocument),
      ),
    ] as { Statement: Record<string, Json>[] }[];
    const actions = policies.flatMap((d) => d.Statement.flatMap((s) => asArray(s.Action) as string[]));
    expect(actions.length).toBeGreaterThan(50);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('uses Resource "*" only for X-Ray, which has no resource-level permissions', () => {
    const statements = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Record<string, Json>[] }).Statement,
    );
    const starred = statements.filter((s) => asArray(s.Resource).includes('*'));
    // one X-Ray statement per function role, plus the state machine's
    expect(starred.length).toBeGreaterThanOrEqual(HANDLERS.length + 1);
    // X-Ray, and the state machine's vended-log delivery (CloudWatch Logs API without resource-level permissions)
    const allowed =
      /^(xray:|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$)/;
    for (const s of starred) for (const a of asArray(s.Action) as string[]) expect(a).toMatch(allowed);
    for (const h of HANDLERS) {
      const fnStarred = statementsOf(h).filter((s) => asArray(s.Resource).includes('*'));
      expect(fnStarred.flatMap((s) => asArray(s.Action))).toEqual([
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
      ]);
    }
  });

  it('gives each function only its own key prefixes', () => {
    // the plan reads the snapshot's versions and the config, and only writes the plan and reports
    expect(objectActions('ingest', 'incoming/')).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(objectActions('ingest', 'config/')).toEqual(['s3:GetObject']);
    expect(objectActions('ingest', 'runs/')).toEqual(['s3:PutObject']);
    expect(objectActions('ingest', 'rejected/')).toEqual(['s3:PutObject']);
    // a range worker reads its byte range of an incoming version and the plan, and writes shard parts
    expect(objectActions('ingest-range', 'incoming/')).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(objectActions('ingest-range', 'runs/')).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(objectActions('ingest-range', 'rejected/')).toEqual([]);
    expect(objectActions('ingest-merge', 'incoming/')).toEqual([]);
    expect(objectActions('ingest-merge', 'runs/')).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(objectActions('ingest-merge', 'rejected/')).toEqual(['s3:PutObject']);
    for (const h of ['build-features', 'fit', 'score', 'validate', 'report']) {
      expect(objectActions(h, 'runs/')).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
      expect(objectActions(h, 'incoming/')).toEqual([]);
    }
    const rw = ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'];
    // state/ holds what was last published (delta writes), the previous run's pointer and erasures
    for (const h of ['fit', 'score', 'validate'])
      expect(objectActions(h, 'state/')).toEqual(['s3:GetObject']);
    for (const h of ['publish-memberships', 'publish-audiences', 'report'])
      expect(objectActions(h, 'state/')).toEqual(rw);
    expect(objectActions('build-features', 'state/')).toEqual([]);
    expect(objectActions('report', 'exports/')).toEqual(['s3:PutObject']);
    // the finish writes its erasure report to the run folder; each shard worker its state and counts
    expect(objectActions('publish-memberships', 'runs/')).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(objectActions('publish-memberships-shard', 'runs/')).toEqual(['s3:GetObject', 's3:PutObject']);
    // a worker only reads the published state: the finish alone switches and removes it
    expect(objectActions('publish-memberships-shard', 'state/')).toEqual(['s3:GetObject']);
    expect(objectActions('publish-exports', 'runs/')).toEqual(['s3:GetObject']);
    expect(objectActions('publish-exports', 'state/')).toEqual(['s3:GetObject']);
    expect(objectActions('publish-exports', 'exports/')).toEqual(rw);
    expect(objectActions('publish-audiences', 'audiences/')).toEqual(['s3:PutObject']);
    expect(objectActions('quarantine', 'incoming/')).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(objectActions('quarantine', 'rejected/')).toEqual(['s3:PutObject']);
    expect(objectActions('quarantine', 'runs/')).toEqual([]);
    // a long snapshot's object list, written by the starter: read by the plan and quarantine only
    expect(objectActions('quarantine', 'snapshots/')).toEqual(['s3:GetObject']);
    expect(objectActions('ingest', 'snapshots/')).toEqual(['s3:GetObject']);
    expect(objectActions('ingest-range', 'snapshots/')).toEqual([]);
  });

  it('lets the starter list incoming/ versions, write snapshot lists only, use its queue and start executions of the one state machine', () => {
    const statements = statementsOf('starter');
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    const settle = Object.keys(queues).find((id) => queues[id].Properties.RedrivePolicy !== undefined) ?? '';
    expect(statements).toContainEqual({
      Action: 's3:ListBucketVersions',
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [dataBucketId, 'Arn'] },
      Condition: { StringLike: { 's3:prefix': ['incoming/*'] } },
    });
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'states:StartExecution' }));
    expect(
      statements.flatMap((s) => asArray(s.Action) as string[]).filter((a) => a.startsWith('s3:')),
    ).toEqual(['s3:ListBucketVersions', 's3:PutObject']);
    // a snapshot too long for the execution input goes to snapshots/; nothing under incoming/ is read
    expect(objectActions('starter', 'snapshots/')).toEqual(['s3:PutObject']);
    expect(objectActions('starter', 'incoming/')).toEqual([]);
    const sqsActions = statements
      .filter((s) => JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': [settle, 'Arn'] }))
      .flatMap((s) => asArray(s.Action) as string[])
      .sort();
    expect(sqsActions).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
    ]);
    const kms = statements
      .filter((s) => JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': [keyId, 'Arn'] }))
      .flatMap((s) => asArray(s.Action) as string[])
      .sort();
    expect(kms).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });

  it('writes tables only from the functions that own the writes, and queries only the named index', () => {
    const tableActions = (h: string): string[] =>
      statementsOf(h).flatMap((s) =>
        (asArray(s.Action) as string[]).filter((a) => a.startsWith('dynamodb:')),
      );
    expect(tableActions('publish-memberships-shard')).not.toContain('dynamodb:Query');
    // a shard worker writes memberships, never the catalog or the runs
    const workerWrites = statementsOf('publish-memberships-shard').find((s) =>
      asArray(s.Action).includes('dynamodb:BatchWriteItem'),
    );
    const membershipsTable = Object.keys(resourcesOf(template, 'AWS::DynamoDB::Table')).find((id) =>
      id.includes('Memberships'),
    );
    expect(workerWrites?.Resource).toEqual({ 'Fn::GetAtt': [membershipsTable, 'Arn'] });
    for (const h of [
      'ingest',
      'ingest-range',
      'ingest-merge',
      'build-features',
      'fit',
      'score',
      'validate',
      'publish-exports',
      'publish-audiences',
      'starter',
    ]) {
      expect(tableActions(h)).toEqual([]);
    }
    expect(tableActions('report')).toContain('dynamodb:BatchWriteItem');
    expect(tableActions('quarantine')).toContain('dynamodb:BatchWriteItem');
    const query = statementsOf('publish-memberships').find((s) => s.Action === 'dynamodb:Query');
    const memberships = Object.keys(resourcesOf(template, 'AWS::DynamoDB::Table')).find((id) =>
      id.includes('Memberships'),
    );
    expect(query?.Resource).toEqual([
      { 'Fn::GetAtt': [memberships, 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [memberships, 'Arn'] }, '/index/bySegment']] },
    ]);
  });

  it('writes logs only to the function’s own log group', () => {
    for (const [h, { resource }] of Object.entries(functionsByHandler(template))) {
      const group = (resource.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      const logs = statementsOf(h).filter((s) =>
        (asArray(s.Action) as string[]).some((a) => a.startsWith('logs:')),
      );
      expect(logs, h).toEqual([
        expect.objectContaining({
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [group, 'Arn'] },
        }),
      ]);
    }
  });

  it('grants no Secrets Manager access unless destination secrets are configured', () => {
    expect(JSON.stringify(template.toJSON())).not.toContain('secretsmanager:');
  });
});

describe('state machine', () => {
  it('logs ALL without execution data and traces with X-Ray', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
      TracingConfiguration: { Enabled: true },
    });
  });

  it('keeps every state name and stays plain JSONPath', () => {
    expect(Object.keys(allStates(definition)).sort()).toEqual(
      expect.arrayContaining([...STATE_NAMES].sort()),
    );
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    const text = JSON.stringify(definition);
    for (const forbidden of ['ItemReader', 'ResultWriter', 'ItemBatcher', 'JSONata'])
      expect(text).not.toContain(forbidden);
  });

  it('fans out BuildFeatures and Score as Distributed Maps over the ingest shards', () => {
    for (const name of ['BuildFeatures', 'Score']) {
      const map = definition.States[name];
      expect(map).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.ingest.shards',
        MaxConcurrency: 40,
        ItemSelector: {
          'dataset.$': '$.dataset',
          'runId.$': '$.runId',
          'asOfMs.$': '$.ingest.asOfMs',
          'shard.$': '$$.Map.Item.Value',
        },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: `${name}Shard`,
        },
      });
    }
  });

  it('publishes memberships per shard with a Distributed Map, then one finish in the same branch', () => {
    const branch = definition.States.Publish.Branches?.[0] as unknown as Definition;
    expect(branch.StartAt).toBe('PublishMemberships');
    expect(branch.States.PublishMemberships).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.ingest.shards',
      ResultPath: null,
      Next: 'FinishMemberships',
      // 10 writers reach the default table quota; more would only be throttled
      MaxConcurrency: 10,
      ItemSelector: { 'shard.$': '$$.Map.Item.Value', 'shardCount.$': '$.ingest.shardCount' },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'PublishMembershipsShard',
      },
    });
    // the finish's result is the branch's ($.publish[0]): no ResultPath, i.e. the default '$'
    expect(branch.States.FinishMemberships).toMatchObject({ Type: 'Task', End: true });
    expect(branch.States.FinishMemberships.ResultPath).toBeUndefined();
  });

  it('gives a range worker the 15 minutes a whole gzip or Parquet file (one range) needs', () => {
    const range = functionsByHandler(template)['ingest-range'].resource;
    expect(range.Properties.Timeout).toBe(900);
    expect(range.Properties.MemorySize).toBe(1769);
  });

  it('fans Ingest out over byte ranges: plan, a Distributed Map of range workers, then the merge', () => {
    expect(definition.States.Ingest).toMatchObject({ ResultPath: '$.ingest', Next: 'IngestRanges' });
    expect(definition.States.IngestRanges).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.ingest.ranges',
      MaxConcurrency: 40,
      ResultPath: null,
      ItemSelector: { 'dataset.$': '$.dataset', 'runId.$': '$.runId', 'range.$': '$$.Map.Item.Value' },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'IngestRange',
      },
      Next: 'MergeIngest',
    });
    expect(definition.States.MergeIngest).toMatchObject({ ResultPath: '$.ingest', Next: 'BuildFeatures' });
  });

  it('retries Lambda service errors on every task, with backoff', () => {
    const tasks = Object.entries(allStates(definition)).filter(([, s]) => s.Type === 'Task');
    expect(tasks).toHaveLength(13);
    for (const [name, task] of tasks) {
      expect(task.Retry, name).toContainEqual(
        expect.objectContaining({ ErrorEquals: TRANSIENT_ERRORS, MaxAttempts: 5, BackoffRate: 2 }),
      );
    }
  });

  it('catches every error of every top-level step into Quarantine, which then fails the run', () => {
    const steps = Object.entries(definition.States).filter(
      ([n]) => !['Quarantine', 'RunFailed', 'Done', 'CheckAudiences', 'AudiencePushFailed'].includes(n),
    );
    expect(steps.map(([n]) => n)).toEqual(
      expect.arrayContaining(['Ingest', 'BuildFeatures', 'Fit', 'Score', 'Validate', 'Publish', 'Report']),
    );
    for (const [name, state] of steps) {
      expect(state.Catch, name).toEqual([
        { ErrorEquals: ['States.ALL'], Next: 'Quarantine', ResultPath: '$.error' },
      ]);
    }
    expect(definition.States.Quarantine.Next).toBe('RunFailed');
    expect(definition.States.RunFailed.Type).toBe('Fail');
  });
});

describe('observability', () => {
  it('alarms on failed, timed-out and throttled runs, each function’s errors and the dead-letter queue', () => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    const names = alarms.map((a) => `${a.Properties.Namespace}/${a.Properties.MetricName}`);
    for (const m of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionThrottled'])
      expect(names).toContain(`AWS/States/${m}`);
    expect(names.filter((n) => n === 'AWS/Lambda/Errors')).toHaveLength(HANDLERS.length);
    // the trigger's dead-letter queue and the settle queue's
    expect(names.filter((n) => n === 'AWS/SQS/ApproximateNumberOfMessagesVisible')).toHaveLength(2);
    const topic = Object.keys(resourcesOf(template, 'AWS::SNS::Topic'))[0];
    for (const a of alarms) {
      expect(a.Properties).toMatchObject({
        AlarmActions: [{ Ref: topic }],
        Threshold: 1,
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('publishes alarms to a KMS-encrypted, TLS-only topic with no subscription unless an email is configured', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: service },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            }),
          ]),
        },
      });
    }
  });

  it('has a dashboard of runs, durations, rows and segments published', () => {
    const body = JSON.stringify(
      Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody,
    );
    for (const title of ['Runs', 'Run duration (ms)', 'Rows', 'Segments published', 'Function errors']) {
      expect(body).toContain(`\\"title\\":\\"${title}\\"`);
    }
    for (const metric of ['ExecutionsStarted', 'ExecutionTime', 'RowsAccepted', 'SegmentsPublished'])
      expect(body).toContain(metric);
  });
});

describe('configuration per stage', () => {
  it('destroys data stores outside production (the bucket must be emptied first)', () => {
    for (const type of ['AWS::S3::Bucket', 'AWS::DynamoDB::Table', 'AWS::KMS::Key']) {
      for (const r of Object.values(resourcesOf(template, type)))
        expect(r.DeletionPolicy, type).toBe('Delete');
    }
  });

  describe('in production with context settings', () => {
    let prod: Template;
    beforeAll(() => {
      ({ template: prod } = synthStack({
        stage: 'prod',
        alarmEmail: 'ops@example.com',
        maxConcurrency: '8',
        membershipWriters: '4',
        shardMemoryMb: '4096',
        incomingRetentionDays: '10',
        runRetentionDays: '3',
        destinationSecretArns: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:meta-AbCdEf',
      }));
    });

    it('retains the key, buckets and tables and keeps logs a year', () => {
      for (const type of [
        'AWS::S3::Bucket',
        'AWS::DynamoDB::Table',
        'AWS::KMS::Key',
        'AWS::Logs::LogGroup',
      ]) {
        for (const r of Object.values(resourcesOf(prod, type)) as CfnResource[])
          expect(r.DeletionPolicy, type).toBe('Retain');
      }
      for (const g of Object.values(resourcesOf(prod, 'AWS::Logs::LogGroup')))
        expect(g.Properties.RetentionInDays).toBe(365);
    });

    it('subscribes the alarm email and applies retention, sizing and concurrency from context', () => {
      prod.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'ops@example.com',
      });
      prod.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ Prefix: 'incoming/', ExpirationInDays: 10 }),
            Match.objectLike({ Prefix: 'runs/', ExpirationInDays: 3 }),
          ]),
        },
      });
      const fns = functionsByHandler(prod);
      expect(fns['build-features'].resource.Properties.MemorySize).toBe(4096);
      expect(fns.score.resource.Properties.MemorySize).toBe(4096);
      const machine = Object.values(resourcesOf(prod, 'AWS::StepFunctions::StateMachine'))[0];
      const definition = JSON.stringify(machine.Properties.DefinitionString);
      expect(definition).toContain('\\"MaxConcurrency\\":8');
      // the DynamoDB writers are bounded apart from the other maps (the table's write quota)
      expect(definition).toContain('\\"MaxConcurrency\\":4');
    });

    it('lets publish-audiences read exactly the configured secrets, passing ARNs not values', () => {
      const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:meta-AbCdEf';
      const fns = functionsByHandler(prod);
      const audiences = fns['publish-audiences'].resource;
      expect(
        (audiences.Properties.Environment as { Variables: Record<string, Json> }).Variables
          .DESTINATION_SECRET_ARNS,
      ).toBe(arn);
      const roleId = (audiences.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
      expect(statementsOfRole(prod, roleId)).toContainEqual(
        expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: arn }),
      );
      const others = Object.entries(fns).filter(([h]) => h !== 'publish-audiences');
      for (const [h, { resource }] of others) {
        const rid = (resource.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
        expect(JSON.stringify(statementsOfRole(prod, rid)), h).not.toContain('secretsmanager');
      }
    });
  });
});

describe('invalid props', () => {
  const construct = (props: AudienceSegmentationProps) => () =>
    new AudienceSegmentation(
      new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Invalid'),
      'Segmentation',
      props,
    );

  it.each([
    [{ maxConcurrency: 0 }, /maxConcurrency must be a whole number from 1 to 10000, got 0/],
    [{ maxConcurrency: 2.5 }, /maxConcurrency/],
    [{ membershipWriters: 0 }, /membershipWriters must be a whole number from 1 to 10000, got 0/],
    [{ incomingRetentionDays: 0 }, /incomingRetentionDays must be a whole number of at least 1, got 0/],
    [{ runRetentionDays: -3 }, /runRetentionDays/],
    [{ rejectedRetentionDays: Number.NaN }, /rejectedRetentionDays/],
    [{ noncurrentVersionDays: 0 }, /noncurrentVersionDays/],
    [{ shardMemoryMb: 64 }, /shardMemoryMb must be a whole number from 128 to 10240, got 64/],
    [{ logRetention: 2 as never }, /logRetention must be one of CloudWatch's retention periods/],
    [{ alarmEmail: 'ops-at-example' }, /alarmEmail must be an email address/],
    [
      { destinationSecretArns: ['meta-token'] },
      /destinationSecretArns must hold Secrets Manager secret ARNs/,
    ],
    [{ settleSeconds: 901 }, /settleSeconds must be a whole number from 0 to 900 .*got 901/],
    [{ settleSeconds: -1 }, /settleSeconds/],
    [{ settleSeconds: 1.5 }, /settleSeconds/],
    [
      { schedules: [{ dataset: 'my shop', expression: 'rate(1 day)' }] },
      /schedules: dataset "my shop" is not a dataset name: use letters, digits, - and _/,
    ],
    [
      {
        schedules: [
          { dataset: 'shop', expression: 'rate(1 day)' },
          { dataset: 'shop', expression: 'rate(7 days)' },
        ],
      },
      /dataset "shop" has two schedules/,
    ],
    [
      { schedules: [{ dataset: 'shop', expression: 'cron(0 6 * * MON)' }] },
      /expression "cron\(0 6 \* \* MON\)" is not an EventBridge Scheduler expression; use cron\(minutes hours/,
    ],
    [
      { schedules: [{ dataset: 'shop', expression: 'every monday' }] },
      /is not an EventBridge Scheduler expression/,
    ],
    [
      { schedules: [{ dataset: 'shop', expression: 'rate(0 days)' }] },
      /is not an EventBridge Scheduler expression/,
    ],
    [
      { schedules: [{ dataset: 'shop', expression: 'rate(1 day)', timezone: 'Paris' }] },
      /timezone "Paris" is not an IANA time zone/,
    ],
  ])('rejects %j', (props, message) => {
    // Act + Assess
    expect(construct(props)).toThrow(AudienceSegmentationPropsError);
    expect(construct(props)).toThrow(message);
  });

  it('rejects a non-numeric context value with the key named', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], maxConcurrency: 'lots' } });
    expect(() => buildApp(app, { nag: false })).toThrow(
      'context maxConcurrency must be a number, got "lots"',
    );
  });

  it('rejects context schedules that are not a JSON array of objects, naming the key', () => {
    for (const schedules of ['cron(0 6 ? * MON *)', '{"dataset":"shop"}']) {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [], schedules } });
      expect(() => buildApp(app, { nag: false })).toThrow(/context schedules must be/);
    }
  });

  it('accepts schedules as props, with a settle window of 0 (start at once)', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Props');
    // Act
    const built = new AudienceSegmentation(stack, 'Segmentation', {
      settleSeconds: 0,
      schedules: [{ dataset: 'shop', expression: 'cron(30 5 ? * * *)', timezone: 'America/New_York' }],
    });
    // Assess
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 5 ? * * *)',
      ScheduleExpressionTimezone: 'America/New_York',
    });
    t.hasResourceProperties('AWS::SQS::Queue', { DelaySeconds: 0, RedrivePolicy: Match.anyValue() });
    expect(built.schedules).toHaveLength(1);
  });

  it('accepts an explicit RETAIN outside production', () => {
    expect(construct({ removalPolicy: RemovalPolicy.RETAIN })).not.toThrow();
  });
});
