// Generic webhook destination: JSON batches of hashed identifiers, each signed with HMAC-SHA256 over
// "<timestamp>.<body>" (the Stripe-style scheme, so receivers can reject replays by timestamp) and sent
// with an Idempotency-Key so a receiver can drop a batch it already has.
import { createHmac } from 'node:crypto';
import type { AudienceDelta, ConnectorDeps, DestinationConfig, PushContext } from '../connector.js';
import type { HashedIdentity } from '../identity.js';
import { BaseConnector, chunkByWeight, type Op, type PushStats } from './base.js';

export const WEBHOOK_DEFAULT_BATCH = 1_000;
export const SIGNATURE_HEADER = 'x-audience-signature';
export const TIMESTAMP_HEADER = 'x-audience-timestamp';

type WebhookConfig = Extract<DestinationConfig, { type: 'webhook' }>;

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`: what a receiver recomputes to verify a batch. */
export function signWebhookBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookBatch {
  runId: string;
  destination: string;
  audienceName: string;
  audienceId?: string;
  op: Op;
  batchIndex: number;
  batchCount: number;
  members: Array<{ emailSha256?: string; phoneSha256?: string }>;
}

export class WebhookConnector extends BaseConnector {
  readonly minAudienceSize = 0;
  private readonly config: WebhookConfig;
  private readonly batchSize: number;

  constructor(name: string, config: WebhookConfig, deps: ConnectorDeps) {
    super(name, deps);
    this.config = config;
    this.batchSize = config.batchSize ?? WEBHOOK_DEFAULT_BATCH;
  }

  protected async pushOp(
    op: Op,
    members: HashedIdentity[],
    delta: AudienceDelta,
    context: PushContext,
    stats: PushStats,
  ): Promise<void> {
    const usable = members.filter((m) => m.emailSha256 || m.phoneSha256);
    stats.unusable += members.length - usable.length;
    const secret = await this.secret(this.config.signingSecretArn);
    await this.runBatches({
      op,
      lane: 'members',
      delta,
      batches: chunkByWeight(usable, this.batchSize),
      content: (b) => b.map((m) => `${m.emailSha256 ?? ''}:${m.phoneSha256 ?? ''}`).join(','),
      members: (b) => b.length,
      context,
      stats,
      send: async (batch, info) => {
        const payload: WebhookBatch = {
          runId: delta.runId,
          destination: this.name,
          audienceName: delta.audienceName,
          audienceId: delta.audienceId,
          op,
          batchIndex: info.index,
          batchCount: info.count,
          // Explicit fields only: customerId stays inside the account.
          members: batch.map((m) => ({ emailSha256: m.emailSha256, phoneSha256: m.phoneSha256 })),
        };
        const body = JSON.stringify(payload);
        const timestamp = String(Math.floor((this.deps.now?.() ?? Date.now()) / 1000));
        await this.request(
          {
            url: this.config.url,
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'idempotency-key': info.key,
              [TIMESTAMP_HEADER]: timestamp,
              [SIGNATURE_HEADER]: signWebhookBody(secret, timestamp, body),
            },
            body,
          },
          context,
          stats,
          `sending batch ${info.index + 1} of ${info.count}`,
        );
      },
    });
  }
}
