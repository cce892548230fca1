// Google Ads Customer Match through the OfflineUserDataJobService REST flow: create a job of type
// CUSTOMER_MATCH_USER_LIST (user list + consent), addOperations in batches, then run. Adds and removes go
// in separate jobs: one job never mixes create and remove operations.
// Sources: developers.google.com/google-ads/api/rest/reference/rest/<v>/customers.offlineUserDataJobs
// (POST {resourceName=customers/*/offlineUserDataJobs/*}:addOperations, :create, :run;
// enablePartialFailure), reference/rpc/<v>/CustomerMatchUserListMetadata (user_list, consent) and
// Consent (ad_user_data, ad_personalization); UserIdentifier hashed_email / hashed_phone_number (E.164
// with '+', SHA-256). Google Ads API forum: at most 100,000 identifiers per AddOfflineUserDataJobOperations
// request, 10,000 recommended.
import type { AudienceDelta, ConnectorDeps, Consent, DestinationConfig, PushContext } from '../connector.js';
import type { HashedIdentity } from '../identity.js';
import { BaseConnector, chunkByWeight, type Op, type PushStats } from './base.js';
import { safeJson } from './meta.js';

export const GOOGLE_MAX_IDENTIFIERS_PER_REQUEST = 100_000;
export const GOOGLE_DEFAULT_IDENTIFIERS_PER_REQUEST = 10_000;
export const GOOGLE_ADS_API_VERSION = 'v26';

type GoogleConfig = Extract<DestinationConfig, { type: 'google' }>;

interface UserIdentifier {
  hashedEmail?: string;
  hashedPhoneNumber?: string;
}

export function googleIdentifiers(m: HashedIdentity): UserIdentifier[] {
  const ids: UserIdentifier[] = [];
  if (m.emailSha256) ids.push({ hashedEmail: m.emailSha256 });
  if (m.phoneSha256) ids.push({ hashedPhoneNumber: m.phoneSha256 });
  return ids;
}

export class GoogleConnector extends BaseConnector {
  // Customer Match applies its own serving thresholds after matching; uploads of any size are accepted.
  readonly minAudienceSize = 0;
  private readonly config: GoogleConfig;
  private readonly batchSize: number;
  private readonly customerId: string;

  constructor(name: string, config: GoogleConfig, deps: ConnectorDeps) {
    super(name, deps);
    this.config = config;
    this.batchSize = config.batchSize ?? GOOGLE_DEFAULT_IDENTIFIERS_PER_REQUEST;
    if (this.batchSize < 1 || this.batchSize > GOOGLE_MAX_IDENTIFIERS_PER_REQUEST)
      throw new RangeError(
        `Google batchSize (identifiers per request) must be between 1 and ${GOOGLE_MAX_IDENTIFIERS_PER_REQUEST}, got ${this.batchSize}`,
      );
    // The API wants the 10-digit id without the dashes the Ads UI shows.
    this.customerId = config.customerId.replace(/-/g, '');
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
    if (usable.length === 0) return;
    const batches = chunkByWeight(usable, this.batchSize, (m) => googleIdentifiers(m).length);
    const content = (b: HashedIdentity[]): string =>
      b.map((m) => `${m.emailSha256 ?? ''}:${m.phoneSha256 ?? ''}`).join(',');
    // The job and its run are checkpointed like batches, so a resumed push reuses the job it created and
    // a finished one creates nothing.
    const allKeys = batches.map((b, i) => this.keyFor(delta, op, 'operations', i, content(b))).join(',');
    const jobKey = this.keyFor(delta, op, 'job', 0, allKeys);
    const runKey = this.keyFor(delta, op, 'run', 0, allKeys);
    const { checkpoints } = context;
    if ((await checkpoints.get(runKey)) !== undefined) {
      stats.alreadySent += batches.length;
      return;
    }
    const headers = await this.headers();
    const base = `${(this.config.baseUrl ?? 'https://googleads.googleapis.com').replace(/\/$/, '')}/${this.config.apiVersion ?? GOOGLE_ADS_API_VERSION}`;
    let jobName = await checkpoints.get(jobKey);
    if (jobName === undefined) {
      const consent: { adUserData: Consent; adPersonalization: Consent } = this.config.consent ?? {
        // Upstream only selects members whose consent allows ad use, so the job declares it granted.
        adUserData: 'GRANTED',
        adPersonalization: 'GRANTED',
      };
      const res = await this.request(
        {
          url: `${base}/customers/${this.customerId}/offlineUserDataJobs:create`,
          method: 'POST',
          headers,
          body: JSON.stringify({
            job: {
              type: 'CUSTOMER_MATCH_USER_LIST',
              // OfflineUserDataJob.external_id ("user specified job ID", int64 as a JSON string) ties the
              // job in the Ads UI and reports back to this run/audience/op.
              externalId: BigInt(`0x${jobKey.slice(6, 21)}`).toString(),
              customerMatchUserListMetadata: {
                userList: `customers/${this.customerId}/userLists/${this.config.userListId}`,
                consent,
              },
            },
          }),
        },
        context,
        stats,
        `creating the ${op === 'add' ? 'add' : 'remove'} job`,
      );
      const created = safeJson<{ resourceName?: string }>(res.text);
      if (!created?.resourceName) throw new Error(`${this.name}: Google returned no job resource name`);
      jobName = created.resourceName;
      await checkpoints.put(jobKey, jobName);
    }
    const opField = op === 'add' ? 'create' : 'remove';
    await this.runBatches({
      op,
      lane: 'operations',
      delta,
      batches,
      content,
      members: (b) => b.length,
      context,
      stats,
      send: async (batch, info) => {
        const res = await this.request(
          {
            url: `${base}/${jobName}:addOperations`,
            method: 'POST',
            headers,
            body: JSON.stringify({
              enablePartialFailure: true,
              operations: batch.map((m) => ({ [opField]: { userIdentifiers: googleIdentifiers(m) } })),
            }),
          },
          context,
          stats,
          `adding operations batch ${info.index + 1} of ${info.count}`,
        );
        const parsed = safeJson<{ partialFailureError?: { details?: unknown[] } }>(res.text);
        if (parsed?.partialFailureError)
          context.log?.('platform reported partial failure', {
            destination: this.name,
            batch: info.index + 1,
            details: parsed.partialFailureError.details?.length ?? 0,
          });
      },
    });
    await this.request(
      { url: `${base}/${jobName}:run`, method: 'POST', headers, body: '{}' },
      context,
      stats,
      `running the ${op} job`,
    );
    await checkpoints.put(runKey, jobName);
  }

  private async headers(): Promise<Record<string, string>> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${await this.secret(this.config.tokenSecretArn)}`,
      'content-type': 'application/json',
    };
    if (this.config.developerTokenSecretArn)
      headers['developer-token'] = await this.secret(this.config.developerTokenSecretArn);
    if (this.config.loginCustomerId)
      headers['login-customer-id'] = this.config.loginCustomerId.replace(/-/g, '');
    return headers;
  }
}
