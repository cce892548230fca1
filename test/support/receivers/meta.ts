// Local stand-in for the Graph API /{custom_audience_id}/users edge: checks method (POST add, DELETE
// remove), bearer token, the {payload: {schema, data}, session} shape, SHA-256 hex values and the
// 10,000-record limit; answers like Meta ({audience_id, session_id, num_received, num_invalid_entries}).
import { expectBearer, HEX64, type IncomingRequest, type Receiver, startReceiver } from './server.js';

/** The Graph API takes form-encoded parameters whose values are JSON (payload=…&session=…). */
function parseForm(
  req: IncomingRequest,
  problem: (msg: string) => void,
): Record<string, unknown> | undefined {
  if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'))
    problem('content-type is not application/x-www-form-urlencoded');
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(req.body)) {
    try {
      out[k] = JSON.parse(v);
    } catch {
      problem(`parameter ${k} is not JSON`);
    }
  }
  return out;
}

export interface MetaBatch {
  method: string;
  audienceId: string;
  schema: string[];
  data: string[][];
  session: { session_id: number; batch_seq: number; last_batch_flag: boolean; estimated_num_total: number };
}

export interface MetaReceiver extends Receiver {
  batches: MetaBatch[];
}

export async function startMetaReceiver(opts: { token: string; apiVersion?: string }): Promise<MetaReceiver> {
  const batches: MetaBatch[] = [];
  const version = opts.apiVersion ?? 'v25.0';
  const receiver = (await startReceiver((req, problem) => {
    const m = new RegExp(`^/${version.replace('.', '\\.')}/(\\d+)/users$`).exec(req.path);
    if (!m) problem(`unexpected path ${req.path}`);
    if (req.method !== 'POST' && req.method !== 'DELETE')
      problem(`method ${req.method} (adds are POST, removes DELETE)`);
    expectBearer(req, opts.token, problem);
    const body = parseForm(req, problem) as Partial<{
      payload: { schema: unknown; data: unknown };
      session: MetaBatch['session'];
    }>;
    const schema = body?.payload?.schema;
    const data = body?.payload?.data;
    if (
      !Array.isArray(schema) ||
      schema.length === 0 ||
      !schema.every((s) => s === 'EMAIL_SHA256' || s === 'PHONE_SHA256')
    )
      problem('payload.schema must list EMAIL_SHA256 and/or PHONE_SHA256');
    if (!Array.isArray(data) || data.length === 0) problem('payload.data must be a non-empty array');
    else {
      if (data.length > 10_000) problem(`${data.length} records in one request; Meta allows 10,000`);
      for (const row of data as unknown[]) {
        if (!Array.isArray(row) || row.length !== (schema as unknown[]).length) {
          problem('each data row must have one value per schema key');
          break;
        }
        if (
          !row.every((v) => v === '' || (typeof v === 'string' && HEX64.test(v))) ||
          row.every((v) => v === '')
        ) {
          problem('data values must be lower-case SHA-256 hex');
          break;
        }
      }
    }
    const s = body?.session;
    if (
      !s ||
      !Number.isInteger(s.session_id) ||
      !(s.batch_seq >= 1) ||
      typeof s.last_batch_flag !== 'boolean'
    )
      problem('session {session_id, batch_seq, last_batch_flag} missing');
    const audienceId = m?.[1] ?? '';
    if (Array.isArray(data) && Array.isArray(schema) && s)
      batches.push({
        method: req.method,
        audienceId,
        schema: schema as string[],
        data: data as string[][],
        session: s,
      });
    return {
      status: 200,
      body: {
        audience_id: audienceId,
        session_id: s?.session_id,
        num_received: Array.isArray(data) ? data.length : 0,
        num_invalid_entries: 0,
        invalid_entry_samples: {},
      },
    };
  })) as MetaReceiver;
  receiver.batches = batches;
  return receiver;
}
