// The error names that are a contract beyond the code that throws them: the workflow's Retry and
// Catch match them (infra/constructs/workflow.ts), the handler wrapper keeps or renames failures by
// them (functions/shared/errors.ts), and marketers read them in run summaries. Each is written here
// once and used by the error class's `this.name` and by every matcher. Imports nothing.

/** A failure that may pass by itself (throttling, 5xx, a reset socket): every task retries it. */
export const TRANSIENT_ERROR = 'TransientError';

/** Lambda's error type for an invocation past its timeout (the local sandbox raises it too): retried once. */
export const LAMBDA_TIMEOUT_ERROR = 'Sandbox.Timedout';

/** DynamoDB left items unprocessed after lib/storage/dynamo.ts's own backoff: renamed transient. */
export const BATCH_WRITE_ERROR = 'BatchWriteError';

// Named input errors: never retried, straight to the Catch and Quarantine.
export const INPUT_REJECTED_ERROR = 'InputRejectedError';
export const CONFIG_ERROR = 'ConfigError';
export const NOT_ENOUGH_CUSTOMERS_ERROR = 'NotEnoughCustomersError';
/** A state input its handler's contract refuses (lib/pipeline/types.ts). */
export const INVALID_EVENT_ERROR = 'InvalidEventError';

/** A membership writer asked for a shard outside the run, or finding shards missing. */
export const MEMBERSHIP_SHARD_ERROR = 'MembershipShardError';

/** A destination kept failing: the workflow catches it so the other Publish branches finish, then fails the run. */
export const AUDIENCE_PUBLISH_ERROR = 'AudiencePublishError';
