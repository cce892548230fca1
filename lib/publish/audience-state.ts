// What each destination last accepted, per audience, so a run pushes only adds and removes. Kept in S3
// under state/<dataset>/audiences/<destination>/<audience>.bin as hashed identities (never raw email or
// phone), with a generation number that makes every delta's batch keys unique across runs.
import type { BlobStore } from '../storage/blob.js';
import { decodeColumns, encodeColumns } from '../storage/columnar.js';
import type { CheckpointStore } from './checkpoint.js';
import type { HashedIdentity } from './identity.js';

/** Bytes of one SHA-256 digest; each member has one slot per identifier kind (zeros when absent). */
const DIGEST = 32;
const KINDS = ['emailSha256', 'phoneSha256', 'phoneDigitsSha256'] as const;
const WIDTH = DIGEST * KINDS.length;
const STATE_FORMAT = 2;

/**
 * Customer ids packed end to end as UTF-16 code units (one byte each while every unit fits in
 * Latin-1), compared unit by unit: the same order as JS `<` on the strings. About length + 4 bytes
 * an id, where a string costs 30 to 40 and a slice of a decoded shard keeps the shard's text alive.
 */
export class IdPool {
  constructor(
    readonly units: Uint8Array | Uint16Array,
    /** end of id i in units; id i starts at ends[i - 1] (0 for the first) */
    readonly ends: Uint32Array,
  ) {}

  static from(ids: readonly string[]): IdPool {
    let total = 0;
    let wide = false;
    for (const id of ids) {
      total += id.length;
      if (!wide) for (let c = 0; c < id.length; c++) if (id.charCodeAt(c) > 255) wide = true;
    }
    const units = wide ? new Uint16Array(total) : new Uint8Array(total);
    const ends = new Uint32Array(ids.length);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      for (let c = 0; c < id.length; c++) units[at++] = id.charCodeAt(c);
      ends[i] = at;
    }
    return new IdPool(units, ends);
  }

  get size(): number {
    return this.ends.length;
  }

  get(i: number): string {
    const start = i === 0 ? 0 : this.ends[i - 1];
    return String.fromCharCode(...this.units.subarray(start, this.ends[i]));
  }

  /** Negative, zero or positive as id i here sorts before, equal to or after id j of `other`. */
  compare(i: number, other: IdPool, j: number): number {
    const a = this.units;
    const b = other.units;
    let x = i === 0 ? 0 : this.ends[i - 1];
    let y = j === 0 ? 0 : other.ends[j - 1];
    const xe = this.ends[i];
    const ye = other.ends[j];
    for (; x < xe && y < ye; x++, y++) if (a[x] !== b[y]) return a[x] - b[y];
    return xe - x - (ye - y);
  }

  /** The listed ids (any order) as a new pool. */
  select(rows: ArrayLike<number>): IdPool {
    let total = 0;
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k];
      total += this.ends[i] - (i === 0 ? 0 : this.ends[i - 1]);
    }
    const units = this.units instanceof Uint16Array ? new Uint16Array(total) : new Uint8Array(total);
    const ends = new Uint32Array(rows.length);
    let at = 0;
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k];
      const start = i === 0 ? 0 : this.ends[i - 1];
      units.set(this.units.subarray(start, this.ends[i]), at);
      at += this.ends[i] - start;
      ends[k] = at;
    }
    return new IdPool(units, ends);
  }
}

/**
 * An audience's members in columns, sorted by customer id (JS string order, as the delta's batches
 * are): about 100 bytes a member (96 digest bytes, a presence byte, the id) where a Map of
 * HashedIdentity with hex strings took several hundred. Hex is made only for members being sent.
 */
export class AudienceMembers {
  constructor(
    /** ascending, unique */
    readonly ids: IdPool,
    /** WIDTH bytes per member: email, phone, phone digits digests */
    readonly digests: Uint8Array,
    /** bit k set when KINDS[k] is present */
    readonly present: Uint8Array,
  ) {}

  static empty(): AudienceMembers {
    return new AudienceMembers(IdPool.from([]), new Uint8Array(0), new Uint8Array(0));
  }

  /** Any order in; sorted out. On a repeated customer id the last one wins, as in a Map. */
  static fromIdentities(list: Iterable<HashedIdentity>): AudienceMembers {
    const builder = new AudienceBuilder();
    for (const m of list) builder.add(m);
    return builder.build().members;
  }

  get size(): number {
    return this.ids.size;
  }

  id(i: number): string {
    return this.ids.get(i);
  }

  /** The member at row i with hex digests, the form connectors send. */
  identity(i: number): HashedIdentity {
    const m: HashedIdentity = { customerId: this.ids.get(i) };
    const flags = this.present[i];
    for (let k = 0; k < KINDS.length; k++) {
      if (!(flags & (1 << k))) continue;
      const at = i * WIDTH + k * DIGEST;
      m[KINDS[k]] = Buffer.from(this.digests.buffer, this.digests.byteOffset + at, DIGEST).toString('hex');
    }
    return m;
  }

  identities(rows: ArrayLike<number>): HashedIdentity[] {
    const out = new Array<HashedIdentity>(rows.length);
    for (let j = 0; j < rows.length; j++) out[j] = this.identity(rows[j]);
    return out;
  }

  /** Same identifiers at row i here and row j there (ids not compared). */
  sameIdentity(i: number, other: AudienceMembers, j: number): boolean {
    if (this.present[i] !== other.present[j]) return false;
    const a = this.digests;
    const b = other.digests;
    const ai = i * WIDTH;
    const bj = j * WIDTH;
    for (let x = 0; x < WIDTH; x++) if (a[ai + x] !== b[bj + x]) return false;
    return true;
  }

  /** The rows listed (ascending), as a new audience sharing the id strings. */
  select(rows: ArrayLike<number>): AudienceMembers {
    if (rows.length === this.size) return this;
    const digests = new Uint8Array(rows.length * WIDTH);
    const present = new Uint8Array(rows.length);
    for (let j = 0; j < rows.length; j++) {
      const i = rows[j];
      present[j] = this.present[i];
      digests.set(this.digests.subarray(i * WIDTH, (i + 1) * WIDTH), j * WIDTH);
    }
    return new AudienceMembers(this.ids.select(rows), digests, present);
  }

  /** Every row except the ones listed (ascending). */
  without(rows: ArrayLike<number>): AudienceMembers {
    if (rows.length === 0) return this;
    const keep = new Uint32Array(this.size - rows.length);
    let r = 0;
    let k = 0;
    for (let i = 0; i < this.size; i++) {
      if (r < rows.length && rows[r] === i) r++;
      else keep[k++] = i;
    }
    return this.select(keep);
  }
}

/**
 * Collects members in any order into growing columns, with a few bytes of extra data per member
 * (consent flags for candidates), then sorts them by customer id in place: no per-member objects.
 */
export class AudienceBuilder {
  private ids: string[] = [];
  private digests: Uint8Array;
  private present: Uint8Array;
  private extra: Uint8Array;

  constructor(
    capacity = 1024,
    private readonly extraWidth = 0,
  ) {
    const n = Math.max(16, capacity);
    this.digests = new Uint8Array(n * WIDTH);
    this.present = new Uint8Array(n);
    this.extra = new Uint8Array(n * extraWidth);
  }

  get size(): number {
    return this.ids.length;
  }

  add(m: HashedIdentity, extra?: ArrayLike<number>): void {
    const i = this.ids.length;
    if (i === this.present.length) this.grow();
    this.ids.push(m.customerId);
    let flags = 0;
    for (let k = 0; k < KINDS.length; k++) {
      const hex = m[KINDS[k]];
      if (!hex) continue;
      flags |= 1 << k;
      const at = i * WIDTH + k * DIGEST;
      const written = Buffer.from(this.digests.buffer, this.digests.byteOffset + at, DIGEST).write(
        hex,
        'hex',
      );
      if (written !== DIGEST)
        throw new AudienceStateError(`${KINDS[k]} of a member is not a SHA-256 hex digest`);
    }
    this.present[i] = flags;
    if (extra) for (let x = 0; x < this.extraWidth; x++) this.extra[i * this.extraWidth + x] = extra[x];
  }

  private grow(): void {
    const n = this.present.length * 2;
    const grown = (old: Uint8Array, width: number) => {
      const next = new Uint8Array(n * width);
      next.set(old);
      return next;
    };
    this.digests = grown(this.digests, WIDTH);
    this.present = grown(this.present, 1);
    this.extra = grown(this.extra, this.extraWidth);
  }

  /** Sorted members and their extra bytes (extraWidth per member, same rows). */
  build(): { members: AudienceMembers; extra: Uint8Array } {
    const n = this.ids.length;
    const ids = this.ids;
    let digests = this.digests.subarray(0, n * WIDTH);
    let present = this.present.subarray(0, n);
    let extra = this.extra.subarray(0, n * this.extraWidth);
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = ids[i - 1] < ids[i];
    if (!sorted) {
      // stable sort keeps a repeated id's rows in arrival order, so the last one is kept below
      // a plain array sorts about a third faster than a Uint32Array with the same comparator
      const order = Array.from({ length: n }, (_, i) => i);
      order.sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
      permute(order, WIDTH, digests);
      permute(order, 1, present);
      if (this.extraWidth) permute(order, this.extraWidth, extra);
      const sortedIds = new Array<string>(n);
      for (let i = 0; i < n; i++) sortedIds[i] = ids[order[i]];
      let w = 0;
      for (let i = 0; i < n; i++) {
        if (i + 1 < n && sortedIds[i + 1] === sortedIds[i]) continue;
        if (w !== i) {
          sortedIds[w] = sortedIds[i];
          digests.copyWithin(w * WIDTH, i * WIDTH, (i + 1) * WIDTH);
          present[w] = present[i];
          extra.copyWithin(w * this.extraWidth, i * this.extraWidth, (i + 1) * this.extraWidth);
        }
        w++;
      }
      sortedIds.length = w;
      digests = digests.subarray(0, w * WIDTH);
      present = present.subarray(0, w);
      extra = extra.subarray(0, w * this.extraWidth);
      this.ids = sortedIds;
    }
    // a builder that grew by doubling may hold twice what it uses: keep only the used part
    if (digests.byteLength < this.digests.byteLength * 0.75) {
      digests = digests.slice();
      present = present.slice();
      extra = extra.slice();
    }
    // the strings (often slices keeping a whole shard's text) give way to the packed ids
    const pool = IdPool.from(this.ids);
    this.ids = [];
    return { members: new AudienceMembers(pool, digests, present), extra };
  }
}

/** Rearranges fixed-width rows in place so row k takes the old row order[k] (cycle by cycle). */
function permute(order: readonly number[], width: number, data: Uint8Array): void {
  const done = new Uint8Array(order.length);
  const tmp = new Uint8Array(width);
  for (let start = 0; start < order.length; start++) {
    if (done[start] || order[start] === start) continue;
    tmp.set(data.subarray(start * width, (start + 1) * width));
    let j = start;
    for (;;) {
      done[j] = 1;
      const src = order[j];
      if (src === start) {
        data.set(tmp, j * width);
        break;
      }
      data.copyWithin(j * width, src * width, (src + 1) * width);
      j = src;
    }
  }
}

export class AudienceStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AudienceStateError';
  }
}

export interface AudienceState {
  /** Incremented on every save; part of each delta's batch keys (see deltaId). */
  generation: number;
  members: AudienceMembers;
  /** The audience as last pushed: lets a later run reach it after its segment stopped being targeted. */
  audienceName?: string;
  audienceId?: string;
}

/**
 * Reads both formats: 2 (ids and presence as columns, then the binary digests appended after them)
 * and 1, written before, with hex text columns; the next save rewrites a format 1 state as 2.
 */
export async function loadAudienceState(store: BlobStore, key: string): Promise<AudienceState> {
  const bytes = await store.getIfExists(key);
  if (!bytes) return { generation: 0, members: AudienceMembers.empty() };
  const { columns, meta, rows } = decodeColumns(bytes);
  let members: AudienceMembers;
  if (meta.format === STATE_FORMAT) {
    const ends = columns.idEnd as Uint32Array;
    const unitBytes = meta.idUnitBytes === 2 ? 2 : 1;
    const idsAt = bytes.byteLength - (rows ? ends[rows - 1] : 0) * unitBytes;
    const digestsAt = idsAt - rows * WIDTH;
    if (digestsAt < 0)
      throw new AudienceStateError(
        `audience state ${key} is truncated: delete it to resend the whole audience`,
      );
    const units = bytes.slice(idsAt);
    members = new AudienceMembers(
      new IdPool(unitBytes === 2 ? new Uint16Array(units.buffer, 0, units.byteLength / 2) : units, ends),
      bytes.slice(digestsAt, idsAt),
      columns.present as Uint8Array,
    );
  } else {
    const ids = columns.customerId as string[];
    const kinds = KINDS.map((k) => columns[k] as string[]);
    const builder = new AudienceBuilder(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const m: HashedIdentity = { customerId: ids[i] };
      for (let k = 0; k < KINDS.length; k++) if (kinds[k][i]) m[KINDS[k]] = kinds[k][i];
      builder.add(m);
    }
    members = builder.build().members;
  }
  return {
    generation: Number(meta.generation ?? 0),
    members,
    audienceName: typeof meta.audienceName === 'string' ? meta.audienceName : undefined,
    audienceId: typeof meta.audienceId === 'string' ? meta.audienceId : undefined,
  };
}

/**
 * Saves the members, or only the listed rows of them (ascending): an audience filtered from its
 * segment's candidates is written straight from them, never copied into columns of its own.
 */
export async function saveAudienceState(
  store: BlobStore,
  key: string,
  state: AudienceState,
  rows?: ArrayLike<number>,
): Promise<void> {
  const all = state.members;
  const n = rows ? rows.length : all.size;
  const ids = rows ? all.ids.select(rows) : all.ids;
  const present = rows ? new Uint8Array(n) : all.present;
  if (rows) for (let j = 0; j < n; j++) present[j] = all.present[rows[j]];
  const head = encodeColumns(
    { present, idEnd: ids.ends },
    {
      format: STATE_FORMAT,
      idUnitBytes: ids.units.BYTES_PER_ELEMENT,
      generation: state.generation,
      audienceName: state.audienceName,
      audienceId: state.audienceId,
    },
  );
  // head, then the digests, then the ids' units: the loader finds both from the end of the object
  const out = new Uint8Array(head.byteLength + n * WIDTH + ids.units.byteLength);
  out.set(head);
  if (!rows) out.set(all.digests, head.byteLength);
  else
    for (let j = 0; j < n; j++)
      out.set(all.digests.subarray(rows[j] * WIDTH, (rows[j] + 1) * WIDTH), head.byteLength + j * WIDTH);
  out.set(
    new Uint8Array(ids.units.buffer, ids.units.byteOffset, ids.units.byteLength),
    head.byteLength + n * WIDTH,
  );
  await store.put(key, out);
}

/** Rows of `previous` to remove and rows of `target` to add; ascending, so sorted by customer id. */
export interface MemberDelta {
  adds: Uint32Array;
  removes: Uint32Array;
}

/**
 * Adds and removes that turn `previous` into `target` (or into the listed rows of it, ascending), by
 * one merge walk over the two sorted lists; adds are rows of `target`. A member whose identifiers
 * changed is removed under the old hashes and added under the new ones. Sorted by customer id so the
 * same two states always give the same batches (and so the same batch keys).
 */
export function memberDelta(
  previous: AudienceMembers,
  target: AudienceMembers,
  rows?: ArrayLike<number>,
): MemberDelta {
  const adds: number[] = [];
  const removes: number[] = [];
  const p = previous.ids;
  const t = target.ids;
  const n = rows ? rows.length : t.size;
  const row = rows ? (k: number) => rows[k] : (k: number) => k;
  let i = 0;
  let k = 0;
  while (i < p.size || k < n) {
    const j = k < n ? row(k) : -1;
    const order = i >= p.size ? 1 : k >= n ? -1 : p.compare(i, t, j);
    if (order < 0) removes.push(i++);
    else if (order > 0) {
      adds.push(j);
      k++;
    } else {
      if (!previous.sameIdentity(i, target, j)) {
        removes.push(i);
        adds.push(j);
      }
      i++;
      k++;
    }
  }
  return { adds: Uint32Array.from(adds), removes: Uint32Array.from(removes) };
}

/** The rows of `rows` (ascending) not in `minus` (ascending, a subset). */
export function rowsWithout(rows: ArrayLike<number>, minus: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(rows.length - minus.length);
  let m = 0;
  let o = 0;
  for (let k = 0; k < rows.length; k++) {
    if (m < minus.length && minus[m] === rows[k]) m++;
    else out[o++] = rows[k];
  }
  return out;
}

/** memberDelta over maps, with the members as connectors take them. */
export function audienceDelta(
  previous: ReadonlyMap<string, HashedIdentity>,
  target: ReadonlyMap<string, HashedIdentity>,
): { adds: HashedIdentity[]; removes: HashedIdentity[] } {
  const before = AudienceMembers.fromIdentities(previous.values());
  const after = AudienceMembers.fromIdentities(target.values());
  const { adds, removes } = memberDelta(before, after);
  return { adds: after.identities(adds), removes: before.identities(removes) };
}

/**
 * The id a delta's batch keys are derived from: dataset, destination, audience and the state
 * generation it starts from. A retried or resumed push of the same delta reproduces its keys (and
 * skips delivered batches) whatever the run id; a later delta, even one with identical content
 * (added, removed, added again), starts from a newer generation and is never mistaken for sent.
 */
export function deltaId(
  dataset: string,
  destination: string,
  audienceKey: string,
  generation: number,
): string {
  return `${dataset}/${destination}/${audienceKey}/g${generation}`;
}

/** Checkpoints as small S3 objects under state/<dataset>/checkpoints/ (one per accepted batch). */
export class S3CheckpointStore implements CheckpointStore {
  constructor(
    private readonly store: BlobStore,
    private readonly prefix: string,
  ) {}

  private key(key: string): string {
    return `${this.prefix}${key.replace(/[^A-Za-z0-9._-]+/g, '_')}`;
  }

  async get(key: string): Promise<string | undefined> {
    const bytes = await this.store.getIfExists(this.key(key));
    return bytes ? new TextDecoder().decode(bytes) : undefined;
  }

  async put(key: string, value: string): Promise<void> {
    await this.store.put(this.key(key), value, 'text/plain');
  }
}
