// Builds the CDK app from context (cdk.json or -c key=value): stage, maxConcurrency,
// shardMemoryMb, incomingRetentionDays, runRetentionDays. Used by main.ts, the tests and the local runner.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AudienceSegmentationStack } from './stack.js';

export function buildApp(
  app = new App(),
  options: { nag?: boolean } = {},
): { app: App; stack: AudienceSegmentationStack } {
  const stage = String(app.node.tryGetContext('stage') ?? 'dev');
  const num = (key: string): number | undefined => {
    const v = app.node.tryGetContext(key);
    return v === undefined ? undefined : Number(v);
  };
  const stack = new AudienceSegmentationStack(app, `AudienceSegmentation-${stage}`, {
    stage,
    description: 'Audience segmentation: S3 drops in, validated segments out (DynamoDB, exports, audiences)',
    segmentation: {
      maxConcurrency: num('maxConcurrency'),
      shardMemoryMb: num('shardMemoryMb'),
      incomingRetentionDays: num('incomingRetentionDays'),
      runRetentionDays: num('runRetentionDays'),
    },
  });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
