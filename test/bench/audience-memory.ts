// `node --expose-gc --import tsx test/bench/audience-memory.ts [--members N] [--mode before|after]`:
// heap bytes per member that PublishAudiences holds for one segment's audience: the previous state
// loaded from S3, the segment's candidates, the target and the delta, all alive at once (as while the
// delta is computed). `before` rebuilds the earlier representation (Map of HashedIdentity with hex
// strings, candidate objects, target Map, the copy made for saving); `after` uses the sorted columns.
// Two scenarios: a steady run (3 % of members change) and a first push (every member is an add).
// Without --mode, each mode runs in its own process so one's garbage never counts in the other.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import {
  AudienceBuilder,
  loadAudienceState,
  memberDelta,
  saveAudienceState,
} from '../../lib/publish/audience-state.js';
import { type HashedIdentity, hashIdentity } from '../../lib/publish/identity.js';
import { MemoryBlobStore } from '../../lib/storage/blob.js';
import { decodeColumns, encodeColumns } from '../../lib/storage/columnar.js';

const { values } = parseArgs({
  options: { members: { type: 'string', default: '1000000' }, mode: { type: 'string' } },
});
const n = Number(values.members);

if (!values.mode) {
  console.log(
    `audience memory, ${n.toLocaleString('en')} members, node ${process.version}, ${os.cpus()[0]?.model}`,
  );
  for (const mode of ['before', 'after']) {
    const run = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        '--max-old-space-size=8192',
        '--import',
        'tsx',
        process.argv[1],
        '--members',
        String(n),
        '--mode',
        mode,
      ],
      { stdio: 'inherit' },
    );
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
  process.exit(0);
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const used = (): number => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Everything alive at the peak, and the number of adds plus removes. */
interface Held {
  held: unknown[];
  changes: number;
}

/** Customer ids as the shards hold them, and each member's identity (email and phone for most). */
const id = (i: number): string => `CUST-${String(i).padStart(9, '0')}`;
const who = (i: number, variant: number): HashedIdentity =>
  hashIdentity({
    customerId: id(i),
    email: `person${i}.${variant}@example.com`,
    phone: i % 4 === 0 ? undefined : `+1415${String(1_000_000 + i).slice(-7)}`,
  });
/** Steady run: previous has members 0..n-1; target drops 1 %, changes 1 %, adds 1 % new. */
const inPrevious = (i: number) => i < n;
const inTarget = (i: number, steady: boolean) => (steady ? i >= n / 100 && i < n + n / 100 : i < n);
const variantOf = (i: number) => (i % 100 === 50 ? 1 : 0);

async function previousBytes(steady: boolean): Promise<MemoryBlobStore> {
  const store = new MemoryBlobStore();
  if (!steady) return store;
  if (values.mode === 'before') {
    const list: HashedIdentity[] = [];
    for (let i = 0; i < n; i++) if (inPrevious(i)) list.push(who(i, 0));
    store.objects.set(
      'state.bin',
      encodeColumns({
        customerId: list.map((m) => m.customerId),
        emailSha256: list.map((m) => m.emailSha256 ?? ''),
        phoneSha256: list.map((m) => m.phoneSha256 ?? ''),
        phoneDigitsSha256: list.map((m) => m.phoneDigitsSha256 ?? ''),
      }),
    );
  } else {
    const b = new AudienceBuilder(n);
    for (let i = 0; i < n; i++) if (inPrevious(i)) b.add(who(i, 0));
    await saveAudienceState(store, 'state.bin', { generation: 1, members: b.build().members });
  }
  return store;
}

async function before(store: MemoryBlobStore, steady: boolean): Promise<Held> {
  const previous = new Map<string, HashedIdentity>();
  const bytes = store.objects.get('state.bin');
  if (bytes) {
    const { columns } = decodeColumns(bytes);
    const ids = columns.customerId as string[];
    const [e, p, d] = ['emailSha256', 'phoneSha256', 'phoneDigitsSha256'].map((k) => columns[k] as string[]);
    for (let i = 0; i < ids.length; i++) {
      const m: HashedIdentity = { customerId: ids[i] };
      if (e[i]) m.emailSha256 = e[i];
      if (p[i]) m.phoneSha256 = p[i];
      if (d[i]) m.phoneDigitsSha256 = d[i];
      previous.set(ids[i], m);
    }
  }
  const candidates: { identity: HashedIdentity; consent: [number, number, number] }[] = [];
  for (let i = 0; i < n + n / 100; i++)
    if (inTarget(i, steady)) candidates.push({ identity: who(i, variantOf(i)), consent: [1, 1, 1] });
  const target = new Map(candidates.map((c) => [c.identity.customerId, c.identity]));
  const sig = (m: HashedIdentity) =>
    `${m.emailSha256 ?? ''}|${m.phoneSha256 ?? ''}|${m.phoneDigitsSha256 ?? ''}`;
  const adds: HashedIdentity[] = [];
  const removes: HashedIdentity[] = [];
  for (const [k, m] of target) {
    const was = previous.get(k);
    if (!was) adds.push(m);
    else if (sig(was) !== sig(m)) {
      removes.push(was);
      adds.push(m);
    }
  }
  for (const [k, m] of previous) if (!target.has(k)) removes.push(m);
  const saved = new Map(previous);
  for (const m of removes) saved.delete(m.customerId);
  for (const m of adds) saved.set(m.customerId, m);
  return {
    held: [previous, candidates, target, adds, removes, saved],
    changes: adds.length + removes.length,
  };
}

async function after(store: MemoryBlobStore, steady: boolean): Promise<Held> {
  const previous = await loadAudienceState(store, 'state.bin');
  const builder = new AudienceBuilder(n + n / 100, 3);
  for (let i = 0; i < n + n / 100; i++) if (inTarget(i, steady)) builder.add(who(i, variantOf(i)), [1, 1, 1]);
  const candidates = builder.build();
  // as publishAudiences: the audience is a list of rows of the candidates (4 bytes a member)
  const rows = Uint32Array.from({ length: candidates.members.size }, (_, i) => i);
  const delta = memberDelta(previous.members, candidates.members, rows);
  const adds = candidates.members.identities(delta.adds);
  const removes = previous.members.identities(delta.removes);
  return {
    held: [previous, candidates, rows, delta, adds, removes],
    changes: adds.length + removes.length,
  };
}

for (const steady of [true, false]) {
  const store = await previousBytes(steady);
  const base = used();
  const { held, changes } = await (values.mode === 'before' ? before(store, steady) : after(store, steady));
  const bytes = used() - base;
  console.log(
    `${values.mode?.padEnd(6)} ${steady ? 'steady (3 % change)' : 'first push (all adds)'}: ${(bytes / 2 ** 20).toFixed(0)} MiB held, ${(bytes / n).toFixed(0)} B per member (${changes.toLocaleString('en')} adds+removes)`,
  );
  held.length = 0;
}
