// The deployable stack: the AudienceSegmentation construct with per-stage defaults. Production
// ("prod") retains every data store and keeps logs a year; other stages clean up after themselves.
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AudienceSegmentation, type AudienceSegmentationProps } from './audience-segmentation.js';

/** The stage whose data stores are retained on stack deletion. */
export const PRODUCTION_STAGE = 'prod';

export interface AudienceSegmentationStackProps extends StackProps {
  /** "prod" retains data stores and keeps logs a year; any other stage destroys them. @default 'dev' */
  readonly stage?: string;
  /** Settings passed to the construct; they override the stage defaults. @default {} */
  readonly segmentation?: AudienceSegmentationProps;
}

export class AudienceSegmentationStack extends Stack {
  readonly stage: string;
  readonly segmentation: AudienceSegmentation;

  constructor(scope: Construct, id: string, props: AudienceSegmentationStackProps = {}) {
    super(scope, id, props);
    this.stage = props.stage ?? 'dev';
    const production = this.stage === PRODUCTION_STAGE;
    this.segmentation = new AudienceSegmentation(this, 'Segmentation', {
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      logRetention: production ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH,
      ...withoutUndefined(props.segmentation ?? {}),
    });
  }
}

// context keys that are not set arrive as undefined and must not erase the stage defaults
function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
