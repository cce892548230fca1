// Meta Custom Audiences: adds via POST and removes via DELETE on /{custom_audience_id}/users, each a
// separate call of at most 10,000 records, payload {schema, data} with SHA-256 hashed keys.
// Sources: developers.facebook.com/docs/marketing-api/reference/custom-audience/users ("only a maximum of
// 10000 at a time", example POST /v25.0/<CUSTOM_AUDIENCE_ID>/users with payload {schema, data});
// .../audiences/guides/custom-audiences (multi-key schema, session {session_id, batch_seq,
// last_batch_flag, estimated_num_total}, phone normalised as digits with country code, no '+').
// Meta drops audiences matching fewer than 100 people, so smaller audiences are not pushed.
import type { AudienceDelta, ConnectorDeps, DestinationConfig, PushContext } from '../connector.js';
import type { HashedIdentity } from '../identity.js';
import { BaseConnector, chunkByWeight, DestinationError, type Op, type PushStats } from './base.js';

export const META_MAX_BATCH = 10_000;
export const META_MIN_AUDIENCE = 100;
export const META_API_VERSION = 'v25.0';

type MetaConfig = Extract<DestinationConfig, { type: 'meta' }>;
type MetaKey = 'EMAIL_SHA256' | 'PHONE_SHA256';

/** Graph API error codes that mean "slow down" even though they arrive as HTTP 400. */
const META_THROTTLE_CODES = new Set([4, 17, 32, 613, 80003]);

export function metaIsThrottled(status: number, text: string): boolean {
  if (status !== 400 && status !== 403) return false;
  try {
    const body = JSON.parse(text) as { error?: { code?: number; is_transient?: boolean } };
    return body.error?.is_transient === true || META_THROTTLE_CODES.has(body.error?.code ?? -1);
  } catch {
    return false;
  }
}

/** The multi-key payload for one batch: only the keys some member carries; '' where a member lacks one. */
export function metaPayload(batch: readonly HashedIdentity[]): { schema: MetaKey[]; data: string[][] } {
  const hasEmail = batch.some((m) => m.emailSha256);
  const hasPhone = batch.some((m) => m.phoneDigitsSha256);
  const schema: MetaKey[] = [];
  if (hasEmail) schema.push('EMAIL_SHA256');
  if (hasPhone) schema.push('PHONE_SHA256');
  const data = batch.map((m) => {
    const row: string[] = [];
    if (hasEmail) row.push(m.emailSha256 ?? '');
    if (hasPhone) row.push(m.phoneDigitsSha256 ?? '');
    return row;
  });
  return { schema, data };
}

export class MetaConnector extends BaseConnector {
  readonly minAudienceSize = META_MIN_AUDIENCE;
  private readonly config: MetaConfig;
  private readonly batchSize: number;

  constructor(name: string, config: MetaConfig, deps: ConnectorDeps) {
    super(name, deps);
    this.config = config;
    this.batchSize = config.batchSize ?? META_MAX_BATCH;
    if (this.batchSize < 1 || this.batchSize > META_MAX_BATCH)
      throw new RangeError(`Meta batchSize must be between 1 and ${META_MAX_BATCH}, got ${this.batchSize}`);
  }

  protected async pushOp(
    op: Op,
    members: HashedIdentity[],
    delta: AudienceDelta,
    context: PushContext,
    stats: PushStats,
  ): Promise<void> {
    const audienceId = delta.audienceId ?? this.config.audienceId;
    if (!audienceId)
      throw new DestinationError(
        this.name,
        `no custom audience id for "${delta.audienceName}": create a customer-list Custom Audience in ad account ${this.config.adAccountId} and set audienceId in the destination config`,
      );
    const usable = members.filter((m) => m.emailSha256 || m.phoneDigitsSha256);
    stats.unusable += members.length - usable.length;
    const batches = chunkByWeight(usable, this.batchSize);
    const token = await this.secret(this.config.tokenSecretArn);
    const base = (this.config.baseUrl ?? 'https://graph.facebook.com').replace(/\/$/, '');
    const url = `${base}/${this.config.apiVersion ?? META_API_VERSION}/${encodeURIComponent(audienceId)}/users`;
    // A stable session per (run, audience, op) lets Meta group the batches of one replace-free upload,
    // and stays the same when a crashed push resumes.
    const sessionId = Number.parseInt(this.keyFor(delta, op, 'session', 0, '').slice(6, 19), 16);
    const total = usable.length;
    await this.runBatches({
      op,
      lane: 'users',
      delta,
      batches,
      content: (b) => b.map((m) => `${m.emailSha256 ?? ''}:${m.phoneDigitsSha256 ?? ''}`).join(','),
      members: (b) => b.length,
      context,
      stats,
      send: async (batch, info) => {
        // Form-encoded `payload=<json>&session=<json>`, exactly as the reference example sends it.
        const body = new URLSearchParams({
          payload: JSON.stringify(metaPayload(batch)),
          session: JSON.stringify({
            session_id: sessionId,
            batch_seq: info.index + 1,
            last_batch_flag: info.index === info.count - 1,
            estimated_num_total: total,
          }),
        }).toString();
        const res = await this.request(
          {
            url,
            method: op === 'add' ? 'POST' : 'DELETE',
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/x-www-form-urlencoded',
            },
            body,
          },
          context,
          stats,
          `${op === 'add' ? 'adding' : 'removing'} batch ${info.index + 1} of ${info.count}`,
          metaIsThrottled,
        );
        const parsed = safeJson<{ num_received?: number; num_invalid_entries?: number }>(res.text);
        if (parsed?.num_invalid_entries)
          context.log?.('platform reported invalid entries', {
            destination: this.name,
            batch: info.index + 1,
            invalid: parsed.num_invalid_entries,
          });
      },
    });
  }
}

export function safeJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
