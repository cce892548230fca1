// Public entry for teams placing the product in their own CDK app: the one construct, its props
// and error, and the stack wrapper this repository deploys. See docs/security.md for the settings.
export {
  AudienceSegmentation,
  type AudienceSegmentationProps,
  AudienceSegmentationPropsError,
  DEFAULT_SETTLE_SECONDS,
  type RefreshSchedule,
} from './audience-segmentation.js';
export { BUSINESS_METRICS, SegmentationObservability } from './constructs/observability.js';
export {
  HANDLER_METADATA,
  METRICS_NAMESPACE,
  SegmentationFunction,
} from './constructs/segmentation-function.js';
export { SegmentationWorkflow, TRANSIENT_ERRORS } from './constructs/workflow.js';
export { AudienceSegmentationStack, type AudienceSegmentationStackProps, PRODUCTION_STAGE } from './stack.js';
