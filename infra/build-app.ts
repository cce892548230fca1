// Builds the CDK app from context (cdk.json or `-c key=value`), the one place ops configure a
// deployment. Used by app.ts, the tests and the local runner. Context keys (all optional):
//   stage                   'prod' retains data stores, anything else destroys them   (default 'dev')
//   alarmEmail              address subscribed to the alarm topic                     (default none)
//   maxConcurrency          parallel shard workers per Distributed Map                 (default 40)
//   shardMemoryMb           memory of the BuildFeatures/Score workers, MB              (default 2048)
//   membershipWriters       parallel PublishMemberships workers (DynamoDB quota bound) (default 10)
//   ingestRangeBytes        bytes per Ingest range (large text drops are cut)          (default 256 MiB)
//   incomingRetentionDays   days drops under incoming/ are kept                        (default 30)
//   runRetentionDays        days run scratch under runs/ is kept                       (default 14)
//   rejectedRetentionDays   days quarantined inputs under rejected/ are kept           (default 90)
//   noncurrentVersionDays   days noncurrent object versions are kept                   (default 7)
//   logRetentionDays        CloudWatch log retention (a CloudWatch period)   (prod 365, others 30)
//   destinationSecretArns   comma-separated Secrets Manager ARNs for ad platforms      (default none)
//   dashboardName           CloudWatch dashboard name                                  (default generated)
//   settleSeconds           quiet time after the latest drop before a run starts, 0–900 (default 60)
//   schedules               scheduled refreshes, a JSON array (or a cdk.json array) of
//                           {"dataset","expression":"cron(…)|rate(…)","timezone"?}     (default none)
//   nag                     'false' skips the cdk-nag checks                           (default on)
import { App, Validations } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { AudienceSegmentationPropsError, type RefreshSchedule } from './audience-segmentation.js';
import { AudienceSegmentationStack } from './stack.js';

export function buildApp(
  app = new App(),
  options: { nag?: boolean } = {},
): { app: App; stack: AudienceSegmentationStack } {
  const text = (key: string): string | undefined => {
    const v: unknown = app.node.tryGetContext(key);
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const num = (key: string): number | undefined => {
    const v = text(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n))
      throw new AudienceSegmentationPropsError(`context ${key} must be a number, got "${v}"`);
    return n;
  };
  const schedules = (): RefreshSchedule[] | undefined => {
    const v: unknown = app.node.tryGetContext('schedules');
    if (v === undefined || v === null || v === '') return undefined;
    let parsed: unknown = v;
    if (typeof v === 'string') {
      try {
        parsed = JSON.parse(v);
      } catch {
        throw new AudienceSegmentationPropsError(
          `context schedules must be a JSON array such as '[{"dataset":"shop","expression":"cron(0 6 ? * MON *)"}]', got ${v}`,
        );
      }
    }
    if (
      !Array.isArray(parsed) ||
      parsed.some((s) => s === null || typeof s !== 'object' || Array.isArray(s))
    ) {
      throw new AudienceSegmentationPropsError(
        'context schedules must be an array of {"dataset", "expression", "timezone"?} objects',
      );
    }
    return parsed as RefreshSchedule[];
  };
  const stage = text('stage') ?? 'dev';
  const stack = new AudienceSegmentationStack(app, `AudienceSegmentation-${stage}`, {
    stage,
    description: 'Audience segmentation: S3 drops in, validated segments out (DynamoDB, exports, audiences)',
    segmentation: {
      alarmEmail: text('alarmEmail'),
      maxConcurrency: num('maxConcurrency'),
      shardMemoryMb: num('shardMemoryMb'),
      membershipWriters: num('membershipWriters'),
      ingestRangeBytes: num('ingestRangeBytes'),
      incomingRetentionDays: num('incomingRetentionDays'),
      runRetentionDays: num('runRetentionDays'),
      rejectedRetentionDays: num('rejectedRetentionDays'),
      noncurrentVersionDays: num('noncurrentVersionDays'),
      logRetention: num('logRetentionDays') as RetentionDays | undefined,
      destinationSecretArns: text('destinationSecretArns')
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      dashboardName: text('dashboardName'),
      settleSeconds: num('settleSeconds'),
      schedules: schedules(),
    },
  });
  const nag = options.nag ?? text('nag') !== 'false';
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}
