// Builds the CDK app from context (cdk.json or `-c key=value`), the one place ops configure a
// deployment. Used by app.ts, the tests and the local runner. Context keys (all optional):
//   stage                   'prod' retains data stores, anything else destroys them   (default 'dev')
//   alarmEmail              address subscribed to the alarm topic                     (default none)
//   maxConcurrency          parallel shard workers per Distributed Map                 (default 40)
//   shardMemoryMb           memory of the BuildFeatures/Score workers, MB              (default 2048)
//   incomingRetentionDays   days drops under incoming/ are kept                        (default 30)
//   runRetentionDays        days run scratch under runs/ is kept                       (default 14)
//   rejectedRetentionDays   days quarantined inputs under rejected/ are kept           (default 90)
//   noncurrentVersionDays   days noncurrent object versions are kept                   (default 7)
//   logRetentionDays        CloudWatch log retention (a CloudWatch period)   (prod 365, others 30)
//   destinationSecretArns   comma-separated Secrets Manager ARNs for ad platforms      (default none)
//   dashboardName           CloudWatch dashboard name                                  (default generated)
//   nag                     'false' skips the cdk-nag checks                           (default on)
import { App, Validations } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { AudienceSegmentationPropsError } from './audience-segmentation.js';
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
  const stage = text('stage') ?? 'dev';
  const stack = new AudienceSegmentationStack(app, `AudienceSegmentation-${stage}`, {
    stage,
    description: 'Audience segmentation: S3 drops in, validated segments out (DynamoDB, exports, audiences)',
    segmentation: {
      alarmEmail: text('alarmEmail'),
      maxConcurrency: num('maxConcurrency'),
      shardMemoryMb: num('shardMemoryMb'),
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
    },
  });
  const nag = options.nag ?? text('nag') !== 'false';
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}
