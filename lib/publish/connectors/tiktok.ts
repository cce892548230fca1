// TikTok custom audiences through the Business API customer-file flow: upload a file of SHA-256 hashes
// (/open_api/v1.3/dmp/custom_audience/file/upload/, multipart advertiser_id, calculate_type, file,
// file_signature = MD5 of the file), then /open_api/v1.3/dmp/custom_audience/update/ with action APPEND or
// REMOVE and the returned file_paths. One file per (op, identifier type). Auth header: Access-Token.
// Sources: business-api.tiktok.com/portal/docs update-an-audience/v1.3 and create-an-audience-by-file/v1.3
// (as used by PipedreamHQ/pipedream components/tiktok_ads_manager), ads.tiktok.com/help "List of supported
// IDs and formats for a customer file" (phone: digits with country code, no '+', no leading zeros).
// TikTok needs at least 1,000 matched users for a usable audience, so smaller ones are not pushed.
import { createHash } from 'node:crypto';
import type { AudienceDelta, ConnectorDeps, DestinationConfig, PushContext } from '../connector.js';
import type { HashedIdentity } from '../identity.js';
import { BaseConnector, chunkByWeight, DestinationError, type Op, type PushStats } from './base.js';
import { safeJson } from './meta.js';

export const TIKTOK_MIN_AUDIENCE = 1_000;
export const TIKTOK_DEFAULT_BATCH = 50_000;
const API = '/open_api/v1.3';

type TikTokConfig = Extract<DestinationConfig, { type: 'tiktok' }>;
type CalculateType = 'EMAIL_SHA256' | 'PHONE_SHA256';

interface TikTokEnvelope<T> {
  code?: number;
  message?: string;
  data?: T;
}

/** TikTok answers throttling inside HTTP 200 bodies: 40100 (QPS limit) and 50000/50002 (system busy). */
export function tiktokIsRetryable(status: number, text: string): boolean {
  if (status !== 200) return false;
  const code = safeJson<TikTokEnvelope<unknown>>(text)?.code;
  return code === 40100 || code === 50000 || code === 50002;
}

export class TikTokConnector extends BaseConnector {
  readonly minAudienceSize = TIKTOK_MIN_AUDIENCE;
  private readonly config: TikTokConfig;
  private readonly batchSize: number;

  constructor(name: string, config: TikTokConfig, deps: ConnectorDeps) {
    super(name, deps);
    this.config = config;
    this.batchSize = config.batchSize ?? TIKTOK_DEFAULT_BATCH;
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
        `no custom audience id for "${delta.audienceName}": create a customer-file audience for advertiser ${this.config.advertiserId} in TikTok Ads Manager and set audienceId`,
      );
    stats.unusable += members.filter((m) => !m.emailSha256 && !m.phoneDigitsSha256).length;
    const token = await this.secret(this.config.tokenSecretArn);
    const base = `${(this.config.baseUrl ?? 'https://business-api.tiktok.com').replace(/\/$/, '')}${API}`;
    // `person` marks the entry that counts a member in `sent`: their email, or their phone if they have none.
    const lanes: Array<[CalculateType, Array<{ hash: string; person: boolean }>]> = [
      [
        'EMAIL_SHA256',
        members.flatMap((m) => (m.emailSha256 ? [{ hash: m.emailSha256, person: true }] : [])),
      ],
      [
        'PHONE_SHA256',
        members.flatMap((m) =>
          m.phoneDigitsSha256 ? [{ hash: m.phoneDigitsSha256, person: !m.emailSha256 }] : [],
        ),
      ],
    ];
    for (const [calculateType, entries] of lanes) {
      if (entries.length === 0) continue;
      await this.runBatches({
        op,
        lane: calculateType,
        delta,
        batches: chunkByWeight(entries, this.batchSize),
        content: (b) => b.map((e) => e.hash).join(','),
        members: (b) => b.filter((e) => e.person).length,
        context,
        stats,
        send: async (batch, info) => {
          // An uploaded file is remembered, so a retry after a crash between upload and update re-uses it.
          const fileKey = `${info.key}#file`;
          let filePath = await context.checkpoints.get(fileKey);
          if (filePath === undefined) {
            filePath = await this.upload(
              base,
              token,
              calculateType,
              batch.map((e) => e.hash),
              context,
              stats,
              info.index,
              info.count,
            );
            await context.checkpoints.put(fileKey, filePath);
          }
          const res = await this.request(
            {
              url: `${base}/dmp/custom_audience/update/`,
              method: 'POST',
              headers: { 'access-token': token, 'content-type': 'application/json' },
              body: JSON.stringify({
                advertiser_id: this.config.advertiserId,
                custom_audience_id: audienceId,
                action: op === 'add' ? 'APPEND' : 'REMOVE',
                file_paths: [filePath],
              }),
            },
            context,
            stats,
            `updating the audience with file ${info.index + 1} of ${info.count}`,
            tiktokIsRetryable,
          );
          this.check(res.text, res.status, 'audience update');
        },
      });
    }
  }

  private async upload(
    base: string,
    token: string,
    calculateType: CalculateType,
    hashes: string[],
    context: PushContext,
    stats: PushStats,
    index: number,
    count: number,
  ): Promise<string> {
    const file = `${hashes.join('\n')}\n`;
    const form = new FormData();
    form.append('advertiser_id', this.config.advertiserId);
    form.append('calculate_type', calculateType);
    form.append('file_signature', createHash('md5').update(file).digest('hex'));
    form.append('file', new Blob([file], { type: 'text/csv' }), 'audience.csv');
    const res = await this.request(
      {
        url: `${base}/dmp/custom_audience/file/upload/`,
        method: 'POST',
        headers: { 'access-token': token },
        body: form,
      },
      context,
      stats,
      `uploading file ${index + 1} of ${count}`,
      tiktokIsRetryable,
    );
    const data = this.check<{ file_path?: string }>(res.text, res.status, 'file upload');
    if (!data?.file_path)
      throw new DestinationError(this.name, 'file upload returned no file_path', { status: res.status });
    return data.file_path;
  }

  /** TikTok reports most failures as HTTP 200 with a non-zero code. */
  private check<T>(text: string, status: number, what: string): T | undefined {
    const body = safeJson<TikTokEnvelope<T>>(text);
    if (body?.code !== 0)
      throw new DestinationError(
        this.name,
        `${what} was refused: code ${body?.code ?? 'missing'} ${(body?.message ?? '').slice(0, 200)}`.trim(),
        { status },
      );
    return body.data;
  }
}
