// A local HTTP receiver for connector tests: listens on 127.0.0.1:0, keeps every request (headers and
// body) for later assertions and PII scans, checks each request through a platform-specific handler,
// flags duplicates, and answers with queued faults (429 + Retry-After, 5xx, hang) on cue.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IncomingRequest {
  method: string;
  /** Path with query string. */
  path: string;
  headers: Record<string, string>;
  body: string;
  raw: Buffer;
}

export interface RecordedRequest extends IncomingRequest {
  status: number;
  /** Set when a queued fault answered instead of the handler. */
  fault?: string;
  /** The handler accepted a request it had already accepted before (same dedupe key). */
  duplicate: boolean;
  problems: string[];
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** What makes two accepted requests "the same batch"; defaults to method + path + body. */
  dedupeKey?: string;
}

export type Fault =
  | { status: number; retryAfter?: string; body?: unknown }
  | { hang: true }
  /** Handle the request normally (so the platform accepts it) but never answer: a lost response. */
  | { acceptThenHang: true };

export type Handler = (req: IncomingRequest, problem: (msg: string) => void) => Promise<Reply> | Reply;

export class Receiver {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: Array<{ fault: Fault; when?: (req: IncomingRequest) => boolean }> = [];
  private readonly seen = new Set<string>();
  private readonly hanging: ServerResponse[] = [];
  url = '';

  constructor(
    private readonly server: Server,
    private readonly handler: Handler,
  ) {}

  /** Queue faults answered, in order, to the next matching requests. */
  fault(...faults: Fault[]): this {
    for (const fault of faults) this.queue.push({ fault });
    return this;
  }

  faultWhen(when: (req: IncomingRequest) => boolean, ...faults: Fault[]): this {
    for (const fault of faults) this.queue.push({ fault, when });
    return this;
  }

  /** Every problem any handler found, prefixed by the request it was found in. */
  get problems(): string[] {
    return this.requests.flatMap((r, i) => r.problems.map((p) => `#${i} ${r.method} ${r.path}: ${p}`));
  }

  /** Requests the handler accepted (2xx, no fault, not a duplicate). */
  get accepted(): RecordedRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300 && !r.fault && !r.duplicate);
  }

  get duplicates(): RecordedRequest[] {
    return this.requests.filter((r) => r.duplicate);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const incoming: IncomingRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers,
      body: raw.toString('utf8'),
      raw,
    };
    const record: RecordedRequest = { ...incoming, status: 0, duplicate: false, problems: [] };
    this.requests.push(record);
    const at = this.queue.findIndex((q) => !q.when || q.when(incoming));
    const fault = at >= 0 ? this.queue.splice(at, 1)[0].fault : undefined;
    if (fault && 'hang' in fault) {
      record.fault = 'hang';
      this.hanging.push(res);
      return;
    }
    if (fault && 'status' in fault) {
      record.fault = `status ${fault.status}`;
      record.status = fault.status;
      const h: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfter !== undefined) h['retry-after'] = fault.retryAfter;
      res
        .writeHead(fault.status, h)
        .end(JSON.stringify(fault.body ?? { error: { message: 'injected fault' } }));
      return;
    }
    const problems: string[] = [];
    let reply: Reply;
    try {
      reply = await this.handler(incoming, (p) => problems.push(p));
    } catch (err) {
      problems.push(`handler threw: ${err instanceof Error ? err.message : String(err)}`);
      reply = { status: 500 };
    }
    record.problems = problems;
    if (problems.length > 0 && reply.status < 400)
      reply = { status: 400, body: { error: { message: problems.join('; ') } } };
    if (reply.status >= 200 && reply.status < 300) {
      const key =
        reply.dedupeKey ??
        `${incoming.method} ${incoming.path} ${createHash('sha256').update(raw).digest('hex')}`;
      if (this.seen.has(key)) record.duplicate = true;
      this.seen.add(key);
    }
    record.status = reply.status;
    if (fault && 'acceptThenHang' in fault) {
      record.fault = 'accepted then hung';
      this.hanging.push(res);
      return;
    }
    res
      .writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
      .end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export async function startReceiver(handler: Handler): Promise<Receiver> {
  const server = createServer();
  const receiver = new Receiver(server, handler);
  server.on('request', (req, res) => {
    void receiver.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

export const HEX64 = /^[0-9a-f]{64}$/;

export function parseJson(req: IncomingRequest, problem: (msg: string) => void): unknown {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
    problem('content-type is not application/json');
  try {
    return JSON.parse(req.body);
  } catch {
    problem('body is not JSON');
    return undefined;
  }
}

export function expectBearer(req: IncomingRequest, token: string, problem: (msg: string) => void): void {
  if (req.headers.authorization !== `Bearer ${token}`) problem('missing or wrong bearer token');
}
