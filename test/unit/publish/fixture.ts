// A synthetic run in a MemoryBlobStore (config, segments.json, shard scores and identity parts), so
// the publish stages can be tested without running the pipeline before them.
import { parseConfig } from '../../../lib/config/schema.js';
import { hashIdentity, sha256Hex } from '../../../lib/publish/identity.js';
import { type BlobStore, MemoryBlobStore, putJson } from '../../../lib/storage/blob.js';
import { encodeColumns } from '../../../lib/storage/columnar.js';
import { keys } from '../../../lib/storage/keys.js';
import { shardOf } from '../../../lib/util/hash.js';

export interface Person {
  id: string;
  segment: number;
  email: string;
  phone: string;
  country: string;
  consentEmail: number;
  consentAds: number;
}

export function makePopulation(n: number, segments: number, opts: { prefix?: string } = {}): Person[] {
  const prefix = opts.prefix ?? 'C';
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${String(i).padStart(5, '0')}`,
    segment: i % segments,
    email: `Person.${prefix}${i}@Example.com`,
    phone: `+1415555${String(1000 + i).padStart(4, '0')}`,
    country: 'US',
    consentEmail: i % 7 === 0 ? 0 : 1,
    consentAds: 2,
  }));
}

export const SEGMENT_NAMES = ['Loyal big spenders', 'Lapsing regulars', 'New bargain hunters', 'Dormant'];

export async function writeRun(
  store: BlobStore,
  ref: { dataset: string; runId: string },
  people: readonly Person[],
  config: unknown,
  opts: { shards?: number; segments?: number; notPublished?: number[] } = {},
): Promise<{ dataset: string; runId: string; shardCount: number }> {
  const shardCount = opts.shards ?? 2;
  const k = opts.segments ?? 3;
  await putJson(store, keys.runFile(ref.dataset, ref.runId, 'config.json'), parseConfig(config));
  await putJson(store, keys.runFile(ref.dataset, ref.runId, 'segments.json'), {
    segments: Array.from({ length: k }, (_, i) => ({
      id: `seg-${i}`,
      index: i,
      name: SEGMENT_NAMES[i],
      description: `segment ${i}`,
      size: people.filter((p) => p.segment === i).length,
      share: people.filter((p) => p.segment === i).length / Math.max(1, people.length),
      status: opts.notPublished?.includes(i) ? 'not-published' : 'published',
      checks: [],
      means: { recencyDays: 10 * i },
      z: {},
    })),
    population: {},
    checks: [],
  });
  for (let s = 0; s < shardCount; s++) {
    // by the customer's hash range, as Ingest partitions: the memberships delta relies on it
    const mine = people.filter((p) => shardOf(p.id, shardCount) === s);
    await store.put(
      keys.shardFile(ref.dataset, ref.runId, s, 'scores.bin'),
      encodeColumns({
        customerId: mine.map((p) => p.id),
        segment: Int32Array.from(mine.map((p) => p.segment)),
        // per person, not per row: removing someone must not change anybody else's distance
        distance: Float64Array.from(mine.map((p) => 0.1 + (Number(p.id.replace(/\D/g, '')) % 997) / 1000)),
      }),
    );
    await store.put(
      keys.shardFile(ref.dataset, ref.runId, s, 'identities-00000.bin'),
      encodeColumns({
        customerId: mine.map((p) => p.id),
        email: mine.map((p) => p.email),
        phone: mine.map((p) => p.phone),
        country: mine.map((p) => p.country),
        consentEmail: Uint8Array.from(mine.map((p) => p.consentEmail)),
        consentSms: Uint8Array.from(mine.map(() => 2)),
        consentAds: Uint8Array.from(mine.map((p) => p.consentAds)),
      }),
    );
  }
  return { ...ref, shardCount };
}

/** Writes runs/<dataset>/<runId>/suppressions.bin as Ingest does (hashed). */
export async function writeSuppressions(
  store: BlobStore,
  ref: { dataset: string; runId: string },
  entries: { customerId?: string; email?: string; phone?: string; type: 'suppress' | 'erase' }[],
): Promise<void> {
  await store.put(
    keys.runFile(ref.dataset, ref.runId, 'suppressions.bin'),
    encodeColumns({
      customerId: entries.map((e) => e.customerId ?? ''),
      emailSha256: entries.map((e) =>
        e.email ? (hashIdentity({ customerId: '', email: e.email }).emailSha256 ?? '') : '',
      ),
      phoneSha256: entries.map((e) => (e.phone ? sha256Hex(e.phone) : '')),
      type: entries.map((e) => e.type),
    }),
  );
}

export function newStore(): MemoryBlobStore {
  return new MemoryBlobStore();
}
