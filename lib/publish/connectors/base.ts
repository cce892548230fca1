// Shared machinery behind every connector: the minimum-size rule, removes-before-adds ordering,
// checkpoint-guarded batches with idempotency keys, request counting and error wrapping. Kept apart
// from connector.ts so the registry there can import the connectors without an import cycle.
import type { AudienceDelta, Connector, ConnectorDeps, PushContext, PushResult } from '../connector.js';
import { fetchWithRetry, type HttpRequest, type HttpResult, HttpRetryError } from '../http.js';
import { type HashedIdentity, sha256Hex } from '../identity.js';

/** A platform refused or kept failing. Carries destination and HTTP status, never identifiers or tokens. */
export class DestinationError extends Error {
  readonly destination: string;
  readonly status: number | undefined;
  readonly attempts: number | undefined;
  constructor(destination: string, message: string, details: { status?: number; attempts?: number } = {}) {
    const statusText = details.status === undefined ? '' : ` (HTTP ${details.status})`;
    super(`Audience push to ${destination} failed${statusText}: ${message}`);
    this.name = 'DestinationError';
    this.destination = destination;
    this.status = details.status;
    this.attempts = details.attempts;
  }
}

export type Op = 'add' | 'remove';

/** Splits items into consecutive batches whose summed weight stays within maxWeight. */
export function chunkByWeight<T>(
  items: readonly T[],
  maxWeight: number,
  weight: (item: T) => number = () => 1,
): T[][] {
  if (!(maxWeight >= 1)) throw new RangeError(`batch size must be at least 1, got ${maxWeight}`);
  const out: T[][] = [];
  let current: T[] = [];
  let w = 0;
  for (const item of items) {
    const iw = weight(item);
    if (current.length > 0 && w + iw > maxWeight) {
      out.push(current);
      current = [];
      w = 0;
    }
    current.push(item);
    w += iw;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Idempotency key of one batch: hash(runId, destination, audience, op, lane, index, content). The content
 * hash means a changed delta never reuses an old key, and the same delta always reproduces its keys.
 */
export function batchKey(parts: {
  runId: string;
  destination: string;
  audienceName: string;
  op: Op;
  lane: string;
  index: number;
  content: string;
}): string {
  const contentHash = sha256Hex(parts.content);
  return sha256Hex(
    JSON.stringify([
      parts.runId,
      parts.destination,
      parts.audienceName,
      parts.op,
      parts.lane,
      parts.index,
      contentHash,
    ]),
  );
}

export interface PushStats {
  adds: number;
  removes: number;
  batches: number;
  alreadySent: number;
  requests: number;
  unusable: number;
}

export interface BatchInfo {
  index: number;
  count: number;
  key: string;
}

export type Log = (msg: string, data?: Record<string, unknown>) => void;
const silent: Log = () => {};

/**
 * Shared push skeleton: minimum-size rule, removes before adds (a withdrawn consent must reach the
 * platform even if adds later fail), checkpoint-guarded batches, request counting and error wrapping.
 */
export abstract class BaseConnector implements Connector {
  abstract readonly minAudienceSize: number;
  readonly name: string;
  protected readonly deps: ConnectorDeps;

  constructor(name: string, deps: ConnectorDeps) {
    this.name = name;
    this.deps = deps;
  }

  /** Sends one op's members; implementations call runBatches. */
  protected abstract pushOp(
    op: Op,
    members: HashedIdentity[],
    delta: AudienceDelta,
    context: PushContext,
    stats: PushStats,
  ): Promise<void>;

  async push(delta: AudienceDelta, context: PushContext): Promise<PushResult> {
    const log = context.log ?? silent;
    const stats: PushStats = { adds: 0, removes: 0, batches: 0, alreadySent: 0, requests: 0, unusable: 0 };
    let adds = delta.adds;
    let skipped: { reason: string } | undefined;
    if (adds.length > 0 && delta.totalAfter < this.minAudienceSize) {
      skipped = {
        reason: `audience "${delta.audienceName}" would have ${delta.totalAfter} members; ${this.name} needs at least ${this.minAudienceSize}, so no members were added`,
      };
      adds = [];
      log('adds skipped: audience below platform minimum', {
        destination: this.name,
        audience: delta.audienceName,
        totalAfter: delta.totalAfter,
        minimum: this.minAudienceSize,
      });
    }
    if (delta.removes.length > 0) await this.pushOp('remove', delta.removes, delta, context, stats);
    if (adds.length > 0) await this.pushOp('add', adds, delta, context, stats);
    const result: PushResult = {
      destination: this.name,
      audienceName: delta.audienceName,
      sent: { adds: stats.adds, removes: stats.removes },
      batches: stats.batches,
      requests: stats.requests,
    };
    if (skipped) result.skipped = skipped;
    if (stats.alreadySent > 0) result.resumedFrom = stats.alreadySent;
    if (stats.unusable > 0) result.unusable = stats.unusable;
    log('push finished', { ...result, sent: { ...result.sent } });
    return result;
  }

  /**
   * Runs batches in order: a batch whose key is in the checkpoint store is skipped; otherwise `send`
   * delivers it and the key is recorded only after the platform accepted it.
   */
  protected async runBatches<T>(params: {
    op: Op;
    lane: string;
    delta: AudienceDelta;
    batches: T[][];
    content: (batch: T[]) => string;
    members: (batch: T[]) => number;
    context: PushContext;
    stats: PushStats;
    send: (batch: T[], info: BatchInfo) => Promise<void>;
  }): Promise<void> {
    const { op, lane, delta, batches, context, stats } = params;
    const log = context.log ?? silent;
    for (let index = 0; index < batches.length; index++) {
      context.signal?.throwIfAborted();
      const batch = batches[index];
      const key = this.keyFor(delta, op, lane, index, params.content(batch));
      if ((await context.checkpoints.get(key)) !== undefined) {
        stats.alreadySent++;
        continue;
      }
      await params.send(batch, { index, count: batches.length, key });
      await context.checkpoints.put(key, `sent ${new Date(this.deps.now?.() ?? Date.now()).toISOString()}`);
      const n = params.members(batch);
      if (op === 'add') stats.adds += n;
      else stats.removes += n;
      stats.batches++;
      log('batch sent', {
        destination: this.name,
        audience: delta.audienceName,
        op,
        lane,
        batch: index + 1,
        of: batches.length,
        members: n,
        key: key.slice(0, 16),
      });
    }
  }

  protected keyFor(delta: AudienceDelta, op: Op, lane: string, index: number, content: string): string {
    return `batch#${batchKey({ runId: delta.runId, destination: this.name, audienceName: delta.audienceName, op, lane, index, content })}`;
  }

  /** One HTTP exchange with retries; non-2xx outcomes become DestinationError with the platform's reason. */
  protected async request(
    req: HttpRequest,
    context: PushContext,
    stats: PushStats,
    what: string,
    isRetryable?: (status: number, text: string) => boolean,
  ): Promise<HttpResult> {
    const log = context.log ?? silent;
    let res: HttpResult;
    try {
      res = await fetchWithRetry(req, {
        fetch: this.deps.fetch,
        policy: this.deps.retry,
        random: this.deps.random,
        sleep: this.deps.sleep,
        signal: context.signal,
        isRetryable,
        onRetry: (info) => {
          stats.requests++;
          log('retrying platform request', { destination: this.name, what, ...info });
        },
      });
    } catch (err) {
      if (err instanceof HttpRetryError) {
        stats.requests++;
        throw new DestinationError(this.name, `${what}: ${err.message}${platformReason(err.lastText)}`, {
          status: err.status,
          attempts: err.attempts,
        });
      }
      throw err;
    }
    stats.requests++;
    if (res.status < 200 || res.status >= 300) {
      throw new DestinationError(this.name, `${what} was refused${platformReason(res.text)}`, {
        status: res.status,
        attempts: res.attempts,
      });
    }
    return res;
  }

  protected async secret(arn: string): Promise<string> {
    return this.deps.getSecret(arn);
  }
}

/** The platform's own error text, shortened; platforms only ever saw hashes, so it cannot hold raw PII. */
export function platformReason(text: string | undefined): string {
  if (!text) return '';
  let reason = text;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    if (typeof parsed.error === 'object' && parsed.error?.message) reason = parsed.error.message;
    else if (typeof parsed.error === 'string') reason = parsed.error;
    else if (parsed.message) reason = parsed.message;
  } catch {
    // Not JSON: use the text itself.
  }
  reason = reason.replace(/\s+/g, ' ').trim();
  return reason ? ` — platform said: ${reason.slice(0, 200)}` : '';
}
