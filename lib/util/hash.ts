// Non-cryptographic hashing and the customer → shard rule, in one low module that ingest, features,
// models, segments and publish all import. FNV-1a over UTF-16 code units (stable across runs and
// platforms) and MurmurHash3's 32-bit finalizer and block mix. SHA-256 of identifiers (what leaves the
// account) is lib/privacy's, not this.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** 2³²: the size of the 32-bit hash space shards are cut from. */
export const HASH_SPACE = 4294967296;

/** FNV-1a of `text` continued from `seed` (a previous state), not finalized; signed 32-bit. */
export function fnv1aFrom(seed: number, text: string): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/** fnv1aFrom over text[start, end), without making the substring. */
export function fnv1aSpan(seed: number, text: string, start: number, end: number): number {
  let h = seed;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/** FNV-1a 32-bit hash of a string, unsigned (used for sampling keys, holdouts and sharding). */
export function fnv1a32(text: string): number {
  return fnv1aFrom(FNV_OFFSET, text) >>> 0;
}

/** The FNV-1a state after `prefix`, to hash `prefix + id` for many ids without building strings. */
export function fnv1aPrefix(prefix: string): number {
  return fnv1aFrom(FNV_OFFSET, prefix);
}

/** MurmurHash3's finalizer: a bijection on 32 bits in which every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** MurmurHash3's block mix of one 32-bit word into h. */
export function mixWord(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

const numberBits = new Float64Array(1);
const numberWords = new Int32Array(numberBits.buffer);

/** Mixes a number's 64 bits into h (0 and −0 alike, every NaN alike, as their text was). */
export function mixNumber(h: number, x: number): number {
  numberBits[0] = x === 0 ? 0 : Number.isNaN(x) ? Number.NaN : x;
  return mixWord(mixWord(h, numberWords[0]), numberWords[1]);
}

/** FNV-1a over the text then a separator, so ("ab", "c") and ("a", "bc") hash apart; not finalized. */
export function hashPart(text: string, seed: number): number {
  return Math.imul(fnv1aFrom(seed, text) ^ 0x10001, FNV_PRIME);
}

/** hashPart over text[start, end). */
export function hashPartSpan(text: string, start: number, end: number, seed: number): number {
  return Math.imul(fnv1aSpan(seed, text, start, end) ^ 0x10001, FNV_PRIME);
}

/**
 * The 32-bit hash shards are cut from: FNV-1a, then murmur3's finalizer. FNV-1a alone is even in its
 * low bits (what a modulo used) but not in its high ones: sequential ids (C00001, C00002, …) made
 * range shards ±20 % uneven; the finalizer (a bijection) spreads them within sampling noise.
 */
export function shardHash(customerId: string): number {
  return fmix32(fnv1a32(customerId));
}

/**
 * The shard of a customer: the hash space cut into `shardCount` contiguous ranges (not a modulo), so
 * shard i of N always covers the same hashes and a later run with another shard count finds a
 * customer's previous state in the one or two ranges that overlap (lib/publish/membership-state.ts).
 */
export function shardOf(customerId: string, shardCount: number): number {
  return Math.floor((shardHash(customerId) * shardCount) / HASH_SPACE);
}

/** The hashes shard `shard` of `shardCount` covers, [lo, hi): the inverse of shardOf's cut. */
export function hashRange(shard: number, shardCount: number): { lo: number; hi: number } {
  return {
    lo: Math.ceil((shard * HASH_SPACE) / shardCount),
    hi: Math.ceil(((shard + 1) * HASH_SPACE) / shardCount),
  };
}
