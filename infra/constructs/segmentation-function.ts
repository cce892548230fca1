// Every Lambda of the product comes from this one class, so runtime, architecture, bundling,
// logging and tracing are decided once. Bundled by esbuild locally (no Docker).
import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, type CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Metadata key the local runner reads to map a synthesized function back to its handler folder. */
export const HANDLER_METADATA = 'audience-segmentation:handler';

export interface SegmentationFunctionProps {
  /** folder under functions/ holding handler.ts */
  readonly handlerName: string;
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default 5 minutes */
  readonly timeout?: Duration;
  readonly environment?: Record<string, string>;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

export class SegmentationFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: SegmentationFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    super(scope, id, {
      entry: `${repoRoot}functions/${props.handlerName}/handler.ts`,
      handler: 'main',
      projectRoot: repoRoot,
      depsLockFilePath: `${repoRoot}package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.minutes(5),
      tracing: Tracing.ACTIVE,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'audience-segmentation',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // the AWS SDK v3 ships with the runtime: keep bundles small
        externalModules: ['@aws-sdk/*'],
        // some dependencies are CommonJS and call require(): give ESM bundles a require
        banner: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);",
      },
    });
    (this.node.defaultChild as CfnFunction).addMetadata(HANDLER_METADATA, props.handlerName);
  }
}
