// Local stand-in for the TikTok Business API customer-file flow: multipart file upload (checks
// Access-Token, calculate_type, MD5 file_signature, one SHA-256 hex per line) then audience update
// (APPEND / REMOVE with known file_paths). Answers in TikTok's {code, message, data} envelope.
import { createHash } from 'node:crypto';
import { HEX64, parseJson, type Receiver, startReceiver } from './server.js';

export interface TikTokFile {
  filePath: string;
  calculateType: string;
  lines: string[];
}

export interface TikTokReceiver extends Receiver {
  files: TikTokFile[];
  updates: Array<{ audienceId: string; action: string; files: TikTokFile[] }>;
}

export async function startTikTokReceiver(opts: {
  token: string;
  advertiserId: string;
}): Promise<TikTokReceiver> {
  const files: TikTokFile[] = [];
  const updates: TikTokReceiver['updates'] = [];
  const ok = (data: unknown) => ({ code: 0, message: 'OK', request_id: 'local', data });
  const receiver = (await startReceiver(async (req, problem) => {
    if (req.headers['access-token'] !== opts.token) problem('missing or wrong Access-Token header');
    if (req.method !== 'POST') problem(`method ${req.method}`);
    if (req.path === '/open_api/v1.3/dmp/custom_audience/file/upload/') {
      const form = await new Response(new Uint8Array(req.raw), {
        headers: { 'content-type': req.headers['content-type'] ?? '' },
      }).formData();
      if (form.get('advertiser_id') !== opts.advertiserId) problem('advertiser_id missing or wrong');
      const calculateType = String(form.get('calculate_type'));
      if (calculateType !== 'EMAIL_SHA256' && calculateType !== 'PHONE_SHA256')
        problem(`calculate_type ${calculateType}`);
      const file = form.get('file');
      if (!(file instanceof Blob)) {
        problem('file part missing');
        return { status: 400 };
      }
      const text = await file.text();
      if (form.get('file_signature') !== createHash('md5').update(text).digest('hex'))
        problem('file_signature is not the MD5 of the file');
      const lines = text.split('\n').filter((l) => l !== '');
      if (!lines.every((l) => HEX64.test(l))) problem('every file line must be a SHA-256 hex');
      const entry = { filePath: `tt/${files.length + 1}.csv`, calculateType, lines };
      files.push(entry);
      return {
        status: 200,
        body: ok({ file_path: entry.filePath }),
        dedupeKey: `file ${calculateType} ${createHash('sha256').update(text).digest('hex')}`,
      };
    }
    if (req.path === '/open_api/v1.3/dmp/custom_audience/update/') {
      const body = parseJson(req, problem) as
        | { advertiser_id?: string; custom_audience_id?: string; action?: string; file_paths?: string[] }
        | undefined;
      if (body?.advertiser_id !== opts.advertiserId) problem('advertiser_id missing or wrong');
      if (!body?.custom_audience_id) problem('custom_audience_id missing');
      if (body?.action !== 'APPEND' && body?.action !== 'REMOVE') problem(`action ${body?.action}`);
      const used = (body?.file_paths ?? []).map((p) => files.find((f) => f.filePath === p));
      if (used.length === 0 || used.some((f) => !f)) problem('file_paths must name uploaded files');
      const known = used.filter((f): f is TikTokFile => f !== undefined);
      updates.push({ audienceId: body?.custom_audience_id ?? '', action: body?.action ?? '', files: known });
      return {
        status: 200,
        body: ok({}),
        dedupeKey: `update ${body?.action} ${known.map((f) => `${f.calculateType}:${f.lines.join(',')}`).join('|')}`,
      };
    }
    problem(`unexpected path ${req.path}`);
    return { status: 404 };
  })) as TikTokReceiver;
  receiver.files = files;
  receiver.updates = updates;
  return receiver;
}
