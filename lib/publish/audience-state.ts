// What each destination last accepted, per audience, so a run pushes only adds and removes. Kept in S3
// under state/<dataset>/audiences/<destination>/<audience>.bin as hashed identities (never raw email or
// phone), with a generation number that makes every delta's batch keys unique across runs.
import type { BlobStore } from '../storage/blob.js';
import { decodeColumns, encodeColumns } from '../storage/columnar.js';
import type { CheckpointStore } from './checkpoint.js';
import type { HashedIdentity } from './identity.js';

export const stateKeys = {
  audience: (dataset: string, destination: string, audienceKey: string) =>
    `state/${dataset}/audiences/${safe(destination)}/${safe(audienceKey)}.bin`,
  checkpoints: (dataset: string) => `state/${dataset}/checkpoints/`,
  erased: (dataset: string) => `state/${dataset}/erased.bin`,
  memberships: (dataset: string, model: string) => `state/${dataset}/memberships/${safe(model)}.bin`,
} as const;

/** Key-safe form of a name: S3 accepts almost anything, but people browse these keys. */
function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

export interface AudienceState {
  /** Incremented on every save; part of each delta's batch keys (see deltaId). */
  generation: number;
  members: Map<string, HashedIdentity>;
  /** The audience as last pushed: lets a later run reach it after its segment stopped being targeted. */
  audienceName?: string;
  audienceId?: string;
}

export async function loadAudienceState(store: BlobStore, key: string): Promise<AudienceState> {
  const bytes = await store.getIfExists(key);
  const members = new Map<string, HashedIdentity>();
  if (!bytes) return { generation: 0, members };
  const { columns, meta } = decodeColumns(bytes);
  const ids = columns.customerId as string[];
  const email = columns.emailSha256 as string[];
  const phone = columns.phoneSha256 as string[];
  const digits = columns.phoneDigitsSha256 as string[];
  for (let i = 0; i < ids.length; i++) {
    const m: HashedIdentity = { customerId: ids[i] };
    if (email[i]) m.emailSha256 = email[i];
    if (phone[i]) m.phoneSha256 = phone[i];
    if (digits[i]) m.phoneDigitsSha256 = digits[i];
    members.set(ids[i], m);
  }
  return {
    generation: Number(meta.generation ?? 0),
    members,
    audienceName: typeof meta.audienceName === 'string' ? meta.audienceName : undefined,
    audienceId: typeof meta.audienceId === 'string' ? meta.audienceId : undefined,
  };
}

export async function saveAudienceState(store: BlobStore, key: string, state: AudienceState): Promise<void> {
  const list = [...state.members.values()].sort((a, b) => (a.customerId < b.customerId ? -1 : 1));
  await store.put(
    key,
    encodeColumns(
      {
        customerId: list.map((m) => m.customerId),
        emailSha256: list.map((m) => m.emailSha256 ?? ''),
        phoneSha256: list.map((m) => m.phoneSha256 ?? ''),
        phoneDigitsSha256: list.map((m) => m.phoneDigitsSha256 ?? ''),
      },
      { generation: state.generation, audienceName: state.audienceName, audienceId: state.audienceId },
    ),
  );
}

const signature = (m: HashedIdentity): string =>
  `${m.emailSha256 ?? ''}|${m.phoneSha256 ?? ''}|${m.phoneDigitsSha256 ?? ''}`;

/**
 * Adds and removes that turn `previous` into `target`. A member whose identifiers changed is removed
 * under the old hashes and added under the new ones. Sorted by customer id so the same two states
 * always give the same batches (and so the same batch keys).
 */
export function audienceDelta(
  previous: ReadonlyMap<string, HashedIdentity>,
  target: ReadonlyMap<string, HashedIdentity>,
): { adds: HashedIdentity[]; removes: HashedIdentity[] } {
  const adds: HashedIdentity[] = [];
  const removes: HashedIdentity[] = [];
  for (const [id, m] of target) {
    const before = previous.get(id);
    if (!before) adds.push(m);
    else if (signature(before) !== signature(m)) {
      removes.push(before);
      adds.push(m);
    }
  }
  for (const [id, m] of previous) if (!target.has(id)) removes.push(m);
  const byId = (a: HashedIdentity, b: HashedIdentity) => (a.customerId < b.customerId ? -1 : 1);
  return { adds: adds.sort(byId), removes: removes.sort(byId) };
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
