// Local webhook endpoint: verifies the HMAC-SHA256 signature over "<timestamp>.<body>" with the shared
// secret, the timestamp's freshness and the Idempotency-Key, and acknowledges a repeated key without
// taking the batch twice (recorded as a duplicate).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HEX64, parseJson, type Receiver, startReceiver } from './server.js';

export interface WebhookReceiver extends Receiver {
  batches: Array<{
    op: string;
    batchIndex: number;
    members: Array<{ emailSha256?: string; phoneSha256?: string }>;
  }>;
}

export async function startWebhookReceiver(opts: {
  secret: string;
  maxBatch?: number;
  toleranceSeconds?: number;
}): Promise<WebhookReceiver> {
  const batches: WebhookReceiver['batches'] = [];
  const keys = new Set<string>();
  const receiver = (await startReceiver((req, problem) => {
    const ts = req.headers['x-audience-timestamp'] ?? '';
    const sig = req.headers['x-audience-signature'] ?? '';
    const expected = `sha256=${createHmac('sha256', opts.secret).update(`${ts}.${req.body}`).digest('hex')}`;
    if (sig.length !== expected.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(expected)))
      problem('signature does not verify');
    if (Math.abs(Date.now() / 1000 - Number(ts)) > (opts.toleranceSeconds ?? 300))
      problem('timestamp outside tolerance');
    const key = req.headers['idempotency-key'];
    if (!key) problem('Idempotency-Key header missing');
    const body = parseJson(req, problem) as
      | { op?: string; batchIndex?: number; members?: Array<Record<string, string>> }
      | undefined;
    const members = body?.members ?? [];
    if (members.length === 0) problem('members must be non-empty');
    if (opts.maxBatch && members.length > opts.maxBatch)
      problem(`${members.length} members; limit ${opts.maxBatch}`);
    for (const m of members)
      if (
        Object.entries(m).some(([k, v]) => (k !== 'emailSha256' && k !== 'phoneSha256') || !HEX64.test(v))
      ) {
        problem('members may only carry emailSha256 / phoneSha256 hex');
        break;
      }
    if (key && !keys.has(key))
      batches.push({ op: body?.op ?? '', batchIndex: body?.batchIndex ?? -1, members });
    if (key) keys.add(key);
    return { status: 200, body: { received: members.length }, dedupeKey: key };
  })) as WebhookReceiver;
  receiver.batches = batches;
  return receiver;
}
