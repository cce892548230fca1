// The deployable stack: the AudienceSegmentation construct with settings from CDK context.
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AudienceSegmentation, type AudienceSegmentationProps } from './audience-segmentation.js';

export interface AudienceSegmentationStackProps extends StackProps {
  /** "prod" retains data stores on deletion; any other stage destroys them. @default 'dev' */
  readonly stage?: string;
  readonly segmentation?: AudienceSegmentationProps;
}

export class AudienceSegmentationStack extends Stack {
  readonly segmentation: AudienceSegmentation;

  constructor(scope: Construct, id: string, props: AudienceSegmentationStackProps = {}) {
    super(scope, id, props);
    const production = (props.stage ?? 'dev') === 'prod';
    this.segmentation = new AudienceSegmentation(this, 'Segmentation', {
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      logRetention: production ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH,
      ...props.segmentation,
    });
  }
}
