// LinkedIn Matched Audiences: stream users into a DMP segment with POST /rest/dmpSegments/{id}/users,
// X-RestLi-Method BATCH_CREATE, elements [{action: ADD|REMOVE, userIds: [{idType: SHA256_EMAIL, idValue}]}].
// Sources: learn.microsoft.com/linkedin/marketing/matched-audiences/create-and-manage-segment-users
// (versioned API, LinkedIn-Version YYYYMM header, per-member rate limit), the api-evangelist/linkedin
// OpenAPI description of the same endpoint (UserStreamElement, UserId). A segment needs 300 matched
// members before it can be used in a campaign, so smaller audiences are not pushed.
import type { AudienceDelta, ConnectorDeps, DestinationConfig, PushContext } from '../connector.js';
import type { HashedIdentity } from '../identity.js';
import { BaseConnector, chunkByWeight, type Op, type PushStats } from './base.js';
import { safeJson } from './meta.js';

export const LINKEDIN_MIN_AUDIENCE = 300;
/**
 * Elements per BATCH_CREATE call. The guide quoted above does not state a per-call element cap in the
 * parts we could check; 5,000 is a conservative ceiling (configurable down). What it does state is a
 * per-member limit of 600 /users requests a minute, answered with 429, which the retry layer absorbs.
 */
export const LINKEDIN_MAX_BATCH = 5_000;
export const LINKEDIN_API_VERSION = '202610';

type LinkedInConfig = Extract<DestinationConfig, { type: 'linkedin' }>;

export class LinkedInConnector extends BaseConnector {
  readonly minAudienceSize = LINKEDIN_MIN_AUDIENCE;
  private readonly config: LinkedInConfig;
  private readonly batchSize: number;

  constructor(name: string, config: LinkedInConfig, deps: ConnectorDeps) {
    super(name, deps);
    this.config = config;
    this.batchSize = config.batchSize ?? LINKEDIN_MAX_BATCH;
    if (this.batchSize < 1 || this.batchSize > LINKEDIN_MAX_BATCH)
      throw new RangeError(
        `LinkedIn batchSize must be between 1 and ${LINKEDIN_MAX_BATCH}, got ${this.batchSize}`,
      );
  }

  protected async pushOp(
    op: Op,
    members: HashedIdentity[],
    delta: AudienceDelta,
    context: PushContext,
    stats: PushStats,
  ): Promise<void> {
    // Only hashed email is a LinkedIn user id; phone-only members cannot be matched.
    const hashes = members.flatMap((m) => (m.emailSha256 ? [m.emailSha256] : []));
    stats.unusable += members.length - hashes.length;
    if (hashes.length === 0) return;
    const token = await this.secret(this.config.tokenSecretArn);
    const base = (this.config.baseUrl ?? 'https://api.linkedin.com/rest').replace(/\/$/, '');
    const action = op === 'add' ? 'ADD' : 'REMOVE';
    await this.runBatches({
      op,
      lane: 'SHA256_EMAIL',
      delta,
      batches: chunkByWeight(hashes, this.batchSize),
      content: (b) => b.join(','),
      members: (b) => b.length,
      context,
      stats,
      send: async (batch, info) => {
        const res = await this.request(
          {
            url: `${base}/dmpSegments/${encodeURIComponent(this.config.segmentId)}/users`,
            method: 'POST',
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              'linkedin-version': this.config.apiVersion ?? LINKEDIN_API_VERSION,
              'x-restli-protocol-version': '2.0.0',
              'x-restli-method': 'BATCH_CREATE',
            },
            body: JSON.stringify({
              elements: batch.map((h) => ({ action, userIds: [{ idType: 'SHA256_EMAIL', idValue: h }] })),
            }),
          },
          context,
          stats,
          `streaming batch ${info.index + 1} of ${info.count}`,
        );
        const parsed = safeJson<{ elements?: Array<{ status?: number }> }>(res.text);
        const rejected =
          parsed?.elements?.filter((e) => e.status !== undefined && (e.status < 200 || e.status >= 300))
            .length ?? 0;
        if (rejected > 0)
          context.log?.('platform rejected some elements', {
            destination: this.name,
            batch: info.index + 1,
            rejected,
          });
      },
    });
  }
}
