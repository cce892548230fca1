// The audience-destination contract: a Connector pushes one AudienceDelta (hashed adds and removes) to
// one platform, in batches within the platform's limits, checkpointing each accepted batch so a re-run
// resumes where it stopped and never sends a batch twice. createConnector builds one from config.
// Which members to send (consent, suppression, holdouts, delta) is decided upstream; this layer only
// makes each push correct, batched, retried and resumable.

import type { Random } from '../util/random.js';
import type { CheckpointStore } from './checkpoint.js';
import { GoogleConnector } from './connectors/google.js';
import { LinkedInConnector } from './connectors/linkedin.js';
import { MetaConnector } from './connectors/meta.js';
import { TikTokConnector } from './connectors/tiktok.js';
import { WebhookConnector } from './connectors/webhook.js';
import type { RetryPolicy } from './http.js';
import type { HashedIdentity } from './identity.js';

export type { CheckpointStore } from './checkpoint.js';
export {
  BaseConnector,
  type BatchInfo,
  batchKey,
  chunkByWeight,
  DestinationError,
  type Op,
  type PushStats,
} from './connectors/base.js';
export type { HashedIdentity } from './identity.js';

export interface AudienceDelta {
  destination: string;
  audienceName: string;
  audienceId?: string;
  runId: string;
  adds: HashedIdentity[];
  removes: HashedIdentity[];
  /** Audience size after this delta, for minimum-size rules. */
  totalAfter: number;
}

export interface PushResult {
  destination: string;
  audienceName: string;
  /** Members in batches this call delivered (batches already delivered by an earlier attempt excluded). */
  sent: { adds: number; removes: number };
  /** Set when adds were held back (audience below the platform minimum); removes are still sent. */
  skipped?: { reason: string };
  /** Batches this call delivered. */
  batches: number;
  /** Batches found already delivered by an earlier attempt of the same delta (set only when > 0). */
  resumedFrom?: number;
  /** HTTP requests made, retries included. */
  requests: number;
  /** Members dropped because they carry no identifier this platform accepts (e.g. phone-only on LinkedIn). */
  unusable?: number;
}

export interface PushContext {
  checkpoints: CheckpointStore;
  signal?: AbortSignal;
  log?: (msg: string, data?: Record<string, unknown>) => void;
}

export interface Connector {
  readonly name: string;
  readonly minAudienceSize: number;
  push(delta: AudienceDelta, context: PushContext): Promise<PushResult>;
}

export type Consent = 'GRANTED' | 'DENIED';

export type DestinationConfig =
  | {
      type: 'meta';
      adAccountId: string;
      audienceId?: string;
      tokenSecretArn: string;
      baseUrl?: string;
      batchSize?: number;
      apiVersion?: string;
    }
  | {
      type: 'google';
      customerId: string;
      userListId: string;
      tokenSecretArn: string;
      developerTokenSecretArn?: string;
      /** Manager account id sent as login-customer-id when access goes through an MCC. */
      loginCustomerId?: string;
      baseUrl?: string;
      batchSize?: number;
      apiVersion?: string;
      consent?: { adUserData: Consent; adPersonalization: Consent };
    }
  | {
      type: 'tiktok';
      advertiserId: string;
      audienceId?: string;
      tokenSecretArn: string;
      baseUrl?: string;
      batchSize?: number;
    }
  | {
      type: 'linkedin';
      segmentId: string;
      tokenSecretArn: string;
      baseUrl?: string;
      batchSize?: number;
      apiVersion?: string;
    }
  | { type: 'webhook'; url: string; signingSecretArn: string; batchSize?: number };

export interface ConnectorDeps {
  getSecret: (arn: string) => Promise<string>;
  fetch?: typeof fetch;
  /** Retry tuning; tests shorten the waits. */
  retry?: Partial<RetryPolicy>;
  random?: Random;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

export function createConnector(name: string, config: DestinationConfig, deps: ConnectorDeps): Connector {
  switch (config.type) {
    case 'meta':
      return new MetaConnector(name, config, deps);
    case 'google':
      return new GoogleConnector(name, config, deps);
    case 'tiktok':
      return new TikTokConnector(name, config, deps);
    case 'linkedin':
      return new LinkedInConnector(name, config, deps);
    case 'webhook':
      return new WebhookConnector(name, config, deps);
    default: {
      const unknown: { type?: unknown } = config;
      throw new Error(`Unknown destination type ${String(unknown.type)} for destination ${name}`);
    }
  }
}

export type DestinationOutcome =
  | { destination: string; audienceName: string; ok: true; result: PushResult }
  | { destination: string; audienceName: string; ok: false; error: Error };

/**
 * Pushes to several destinations at once; one platform failing (visibly, as ok: false with its error)
 * never blocks or cancels the others.
 */
export async function pushToDestinations(
  jobs: ReadonlyArray<{ connector: Connector; delta: AudienceDelta }>,
  context: PushContext,
): Promise<DestinationOutcome[]> {
  const settled = await Promise.allSettled(jobs.map((j) => j.connector.push(j.delta, context)));
  return settled.map((s, i): DestinationOutcome => {
    const { connector, delta } = jobs[i];
    if (s.status === 'fulfilled')
      return { destination: connector.name, audienceName: delta.audienceName, ok: true, result: s.value };
    const error = s.reason instanceof Error ? s.reason : new Error(String(s.reason));
    context.log?.('destination failed', {
      destination: connector.name,
      audience: delta.audienceName,
      error: error.message,
    });
    return { destination: connector.name, audienceName: delta.audienceName, ok: false, error };
  });
}
