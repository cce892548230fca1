// Suppression and erasure requests, applied before anything is published. A run's requests come from
// runs/<dataset>/<runId>/suppressions.bin (written by Ingest, hashed); erasures are also remembered in
// state/<dataset>/erased.bin so an erased person stays out of every later run, even if still in a CRM file.
import type { BlobStore } from '../storage/blob.js';
import { decodeColumns, encodeColumns } from '../storage/columnar.js';
import { keys } from '../storage/keys.js';
import type { HashedIdentity } from './identity.js';

export interface SuppressionList {
  /** customer ids, email hashes and phone hashes of people suppressed (not marketed to). */
  suppressed: { customerIds: Set<string>; hashes: Set<string> };
  /** ... and of people erased (removed everywhere, remembered across runs). */
  erased: { customerIds: Set<string>; hashes: Set<string> };
  /** Requests in this run's file, by type. */
  requests: { suppress: number; erase: number };
  /** Erasure entries remembered from earlier runs. */
  remembered: number;
}

export type Exclusion = 'erased' | 'suppressed' | null;

const emptySets = () => ({ customerIds: new Set<string>(), hashes: new Set<string>() });

export function suppressionsFile(ref: { dataset: string; runId: string }): string {
  return keys.runFile(ref.dataset, ref.runId, 'suppressions.bin');
}

interface Entries {
  customerId: string[];
  emailSha256: string[];
  phoneSha256: string[];
  type?: string[];
}

function entriesOf(bytes: Uint8Array): Entries {
  const { columns } = decodeColumns(bytes);
  const col = (name: string): string[] => (columns[name] as string[] | undefined) ?? [];
  return {
    customerId: col('customerId'),
    emailSha256: col('emailSha256'),
    phoneSha256: col('phoneSha256'),
    type: columns.type ? col('type') : undefined,
  };
}

async function readEntries(store: BlobStore, key: string): Promise<Entries | undefined> {
  const bytes = await store.getIfExists(key);
  return bytes ? entriesOf(bytes) : undefined;
}

/**
 * The run's suppression and erasure requests: Ingest writes them as run-level parts
 * (`suppressions-NNNN.bin`, flushed as they fill); a single `suppressions.bin` is read too.
 */
async function readRunEntries(
  store: BlobStore,
  ref: { dataset: string; runId: string },
): Promise<Entries | undefined> {
  const folder = keys.runFile(ref.dataset, ref.runId, '');
  const names = (await store.list(folder))
    .map((o) => o.key)
    .filter((k) => /^suppressions(-\d+)?\.bin$/.test(k.slice(folder.length)));
  if (!names.length) return undefined;
  const out: Entries = { customerId: [], emailSha256: [], phoneSha256: [], type: [] };
  for (const key of names.sort()) {
    const e = entriesOf(await store.get(key));
    for (let i = 0; i < e.customerId.length; i++) {
      out.customerId.push(e.customerId[i]);
      out.emailSha256.push(e.emailSha256[i] ?? '');
      out.phoneSha256.push(e.phoneSha256[i] ?? '');
      out.type!.push(e.type?.[i] ?? 'suppress');
    }
  }
  return out;
}

function add(target: { customerIds: Set<string>; hashes: Set<string> }, e: Entries, i: number): void {
  if (e.customerId[i]) target.customerIds.add(e.customerId[i]);
  if (e.emailSha256[i]) target.hashes.add(e.emailSha256[i]);
  if (e.phoneSha256[i]) target.hashes.add(e.phoneSha256[i]);
}

/** The run's suppressions and erasures plus every erasure remembered from earlier runs. */
export async function loadSuppressions(
  store: BlobStore,
  ref: { dataset: string; runId: string },
): Promise<SuppressionList> {
  const out: SuppressionList = {
    suppressed: emptySets(),
    erased: emptySets(),
    requests: { suppress: 0, erase: 0 },
    remembered: 0,
  };
  const run = await readRunEntries(store, ref);
  if (run) {
    for (let i = 0; i < run.customerId.length; i++) {
      const erase = (run.type?.[i] ?? 'suppress').toLowerCase() === 'erase';
      add(erase ? out.erased : out.suppressed, run, i);
      out.requests[erase ? 'erase' : 'suppress']++;
    }
  }
  const remembered = await readEntries(store, keys.state.erased(ref.dataset));
  if (remembered) {
    out.remembered = remembered.customerId.length;
    for (let i = 0; i < remembered.customerId.length; i++) add(out.erased, remembered, i);
  }
  return out;
}

/**
 * Adds this run's erasures to state/<dataset>/erased.bin (idempotent: entries already there are not
 * repeated). Stages running in parallel write the same union, so the order they finish in is harmless.
 */
export async function rememberErasures(
  store: BlobStore,
  ref: { dataset: string; runId: string },
): Promise<number> {
  const run = await readRunEntries(store, ref);
  if (!run) return 0;
  const key = keys.state.erased(ref.dataset);
  const known = (await readEntries(store, key)) ?? { customerId: [], emailSha256: [], phoneSha256: [] };
  const seen = new Set(
    known.customerId.map((c, i) => `${c}|${known.emailSha256[i]}|${known.phoneSha256[i]}`),
  );
  let added = 0;
  for (let i = 0; i < run.customerId.length; i++) {
    if ((run.type?.[i] ?? '').toLowerCase() !== 'erase') continue;
    const sig = `${run.customerId[i]}|${run.emailSha256[i]}|${run.phoneSha256[i]}`;
    if (seen.has(sig)) continue;
    seen.add(sig);
    known.customerId.push(run.customerId[i]);
    known.emailSha256.push(run.emailSha256[i]);
    known.phoneSha256.push(run.phoneSha256[i]);
    added++;
  }
  if (added > 0)
    await store.put(
      key,
      encodeColumns({
        customerId: known.customerId,
        emailSha256: known.emailSha256,
        phoneSha256: known.phoneSha256,
      }),
    );
  return added;
}

/**
 * Whether a customer is erased or suppressed: by customer id, or by the hash of their email or phone
 * (both phone forms, since a request may have been hashed with or without the '+').
 */
export function exclusionOf(list: SuppressionList, customerId: string, hashed?: HashedIdentity): Exclusion {
  const hit = (s: { customerIds: Set<string>; hashes: Set<string> }): boolean =>
    s.customerIds.has(customerId) ||
    (hashed !== undefined &&
      ((hashed.emailSha256 !== undefined && s.hashes.has(hashed.emailSha256)) ||
        (hashed.phoneSha256 !== undefined && s.hashes.has(hashed.phoneSha256)) ||
        (hashed.phoneDigitsSha256 !== undefined && s.hashes.has(hashed.phoneDigitsSha256))));
  if (hit(list.erased)) return 'erased';
  if (hit(list.suppressed)) return 'suppressed';
  return null;
}
