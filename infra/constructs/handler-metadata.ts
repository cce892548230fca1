// The CloudFormation metadata key naming the handler folder (under functions/) a function runs: kept
// apart from the construct so the local runner can read a synthesized model without loading aws-cdk-lib.
export const HANDLER_METADATA = 'audience-segmentation:handler';
