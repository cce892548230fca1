// The compact audience state: the merge-walk delta gives exactly what the Map-based delta gave (on
// seeded random audiences), states written by the earlier hex-text format still load, and the
// columns keep the Map's rules (sorted by customer id, a repeated id's last identity wins).
import { describe, expect, it } from 'vitest';
import {
  AudienceMembers,
  audienceDelta,
  loadAudienceState,
  memberDelta,
  rowsWithout,
  saveAudienceState,
} from '../../../lib/publish/audience-state.js';
import { type HashedIdentity, sha256Hex } from '../../../lib/publish/identity.js';
import { MemoryBlobStore } from '../../../lib/storage/blob.js';
import { encodeColumns } from '../../../lib/storage/columnar.js';
import { keys } from '../../../lib/storage/keys.js';
import { createRandom, type Random } from '../../../lib/util/random.js';

/** The delta as it was computed before the columns (Map in, objects out), kept as the reference. */
function referenceDelta(
  previous: ReadonlyMap<string, HashedIdentity>,
  target: ReadonlyMap<string, HashedIdentity>,
): { adds: HashedIdentity[]; removes: HashedIdentity[] } {
  const signature = (m: HashedIdentity): string =>
    `${m.emailSha256 ?? ''}|${m.phoneSha256 ?? ''}|${m.phoneDigitsSha256 ?? ''}`;
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

const rowsOf = (m: AudienceMembers): number[] => Array.from({ length: m.size }, (_, i) => i);

/** A member with a random mix of identifiers (email only, phone only, both). */
function member(random: Random, id: string, variant: number): HashedIdentity {
  const m: HashedIdentity = { customerId: id };
  const kind = random.int(3);
  if (kind !== 1) m.emailSha256 = sha256Hex(`${id}-${variant}@example.com`);
  if (kind !== 0) {
    m.phoneSha256 = sha256Hex(`+1415${id}${variant}`);
    m.phoneDigitsSha256 = sha256Hex(`1415${id}${variant}`);
  }
  return m;
}

/** Previous and target over a shared id space: kept, changed, gone and new members, unsorted ids. */
function audiences(seed: number, size: number) {
  const random = createRandom(seed);
  const previous = new Map<string, HashedIdentity>();
  const target = new Map<string, HashedIdentity>();
  for (let i = 0; i < size; i++) {
    // ids of varied length so string order differs from numeric order
    const id = `C${random.int(size * 4)}`;
    const roll = random.next();
    const old = member(random, id, 0);
    if (roll < 0.3) previous.set(id, old);
    else if (roll < 0.6) target.set(id, member(random, id, 0));
    else if (roll < 0.8) {
      previous.set(id, old);
      target.set(id, old);
    } else {
      previous.set(id, old);
      target.set(id, member(random, id, 1));
    }
  }
  return { previous, target };
}

describe('compact audience members', () => {
  it('gives the same adds and removes as the Map delta on seeded random audiences', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      // Prepare
      const { previous, target } = audiences(seed, 2_000);

      // Act
      const before = AudienceMembers.fromIdentities(previous.values());
      const after = AudienceMembers.fromIdentities(target.values());
      const rows = memberDelta(before, after);
      const got = { adds: after.identities(rows.adds), removes: before.identities(rows.removes) };

      // Assess
      const want = referenceDelta(previous, target);
      expect(got).toEqual(want);
      expect(audienceDelta(previous, target)).toEqual(want);
      expect(want.adds.length).toBeGreaterThan(100);
      // changed identities are among them: the same customer removed and added
      const removed = new Set(want.removes.map((m) => m.customerId));
      expect(want.adds.filter((m) => removed.has(m.customerId)).length).toBeGreaterThan(50);
    }
  });

  it('handles an empty previous state (first push) and an empty target (everyone leaves)', () => {
    // Prepare
    const { previous, target } = audiences(7, 500);
    const none = new Map<string, HashedIdentity>();

    // Act
    const first = audienceDelta(none, target);
    const last = audienceDelta(previous, none);
    const nothing = audienceDelta(none, none);

    // Assess
    expect(first).toEqual(referenceDelta(none, target));
    expect(first.adds).toHaveLength(target.size);
    expect(first.removes).toEqual([]);
    expect(last).toEqual(referenceDelta(previous, none));
    expect(last.removes).toHaveLength(previous.size);
    expect(nothing).toEqual({ adds: [], removes: [] });
  });

  it('sorts members by customer id and keeps the last identity of a repeated id, as a Map did', () => {
    // Prepare
    const random = createRandom(11);
    const list = ['C10', 'C2', 'C1', 'C2'].map((id, i) => member(random, id, i));

    // Act
    const members = AudienceMembers.fromIdentities(list);

    // Assess
    expect(rowsOf(members).map((i) => members.id(i))).toEqual(['C1', 'C10', 'C2']);
    expect(members.identity(2)).toEqual(list[3]);
    expect(members.identity(0)).toEqual(list[2]);
  });

  it('keeps, when adds are held back, the previous state without its removes', () => {
    // Prepare
    const { previous, target } = audiences(9, 1_000);
    const before = AudienceMembers.fromIdentities(previous.values());
    const after = AudienceMembers.fromIdentities(target.values());

    // Act
    const rows = memberDelta(before, after);
    const heldBack = after.without(rows.adds);

    // Assess
    expect(heldBack.identities(rowsOf(heldBack))).toEqual(
      before.without(rows.removes).identities(rowsOf(before.without(rows.removes))),
    );
  });

  it('loads a state written in the earlier hex-text format and saves it back in the binary one', async () => {
    // Prepare: exactly what the earlier saveAudienceState wrote
    const { previous } = audiences(13, 300);
    const list = [...previous.values()].sort((a, b) => (a.customerId < b.customerId ? -1 : 1));
    const store = new MemoryBlobStore();
    const key = keys.state.audience('shop', 'meta', 'seg-1');
    const old = encodeColumns(
      {
        customerId: list.map((m) => m.customerId),
        emailSha256: list.map((m) => m.emailSha256 ?? ''),
        phoneSha256: list.map((m) => m.phoneSha256 ?? ''),
        phoneDigitsSha256: list.map((m) => m.phoneDigitsSha256 ?? ''),
      },
      { generation: 6, audienceName: 'Loyal', audienceId: 'aud-1' },
    );
    await store.put(key, old);

    // Act
    const loaded = await loadAudienceState(store, key);
    await saveAudienceState(store, key, { ...loaded, generation: loaded.generation + 1 });
    const again = await loadAudienceState(store, key);

    // Assess
    const all = (m: AudienceMembers) => m.identities(rowsOf(m));
    expect(loaded.generation).toBe(6);
    expect(loaded.audienceName).toBe('Loyal');
    expect(loaded.audienceId).toBe('aud-1');
    expect(all(loaded.members)).toEqual(list);
    expect(again.generation).toBe(7);
    expect(again.audienceId).toBe('aud-1');
    expect(all(again.members)).toEqual(list);
    await saveAudienceState(store, 'empty.bin', { generation: 2, members: AudienceMembers.empty() });
    const empty = await loadAudienceState(store, 'empty.bin');
    expect([empty.generation, empty.members.size]).toEqual([2, 0]);
    // binary digests (32 bytes, not 64 hex characters) even with a zero slot for each absent identifier
    const saved = store.objects.get(key) as Uint8Array;
    expect(saved.byteLength).toBeLessThan(old.byteLength * 0.8);
  });

  it('diffs and saves an audience given as rows of its candidates exactly as the copied audience', async () => {
    // Prepare: candidates of which every third is not consented for this destination
    const { previous, target } = audiences(17, 1_500);
    const before = AudienceMembers.fromIdentities(previous.values());
    const candidates = AudienceMembers.fromIdentities(target.values());
    const rows = Uint32Array.from(rowsOf(candidates).filter((i) => i % 3 !== 0));
    const copied = candidates.select(rows);
    const store = new MemoryBlobStore();

    // Act
    const viewed = memberDelta(before, candidates, rows);
    const plain = memberDelta(before, copied);
    await saveAudienceState(store, 'viewed.bin', { generation: 1, members: candidates }, rows);
    await saveAudienceState(store, 'copied.bin', { generation: 1, members: copied });

    // Assess
    expect(candidates.identities(viewed.adds)).toEqual(copied.identities(plain.adds));
    expect(viewed.removes).toEqual(plain.removes);
    expect(store.objects.get('viewed.bin')).toEqual(store.objects.get('copied.bin'));
    expect(rowsWithout(rows, viewed.adds)).toHaveLength(rows.length - viewed.adds.length);
  });

  it('orders and round-trips ids beyond Latin-1 as JS string order does (surrogates before U+FF01)', async () => {
    // Prepare
    const random = createRandom(19);
    const names = ['C\u{1F600}', 'C\uFF01', 'Cé', 'C漢', 'C', 'Cz', 'C\u{1F600}a'];
    const previous = new Map(names.slice(0, 4).map((id) => [id, member(random, id, 0)]));
    const target = new Map(names.slice(2).map((id) => [id, member(random, id, id === 'Cé' ? 1 : 0)]));
    const store = new MemoryBlobStore();

    // Act
    const delta = audienceDelta(previous, target);
    await saveAudienceState(store, 'wide.bin', {
      generation: 3,
      members: AudienceMembers.fromIdentities(target.values()),
    });
    const back = (await loadAudienceState(store, 'wide.bin')).members;

    // Assess
    expect(delta).toEqual(referenceDelta(previous, target));
    expect(rowsOf(back).map((i) => back.id(i))).toEqual([...target.keys()].sort());
    expect(back.identities(rowsOf(back))).toEqual(
      [...target.values()].sort((a, b) => (a.customerId < b.customerId ? -1 : 1)),
    );
  });
});
