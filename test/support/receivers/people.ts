// Synthetic customers with raw email and phone, hashed the way the pipeline does, plus the list of raw
// strings a privacy scan must never find in any request or log line.
import { type HashedIdentity, hashIdentity } from '../../../lib/publish/identity.js';

export interface People {
  hashed: HashedIdentity[];
  /** Raw and normalised forms of every email and phone used. */
  raw: string[];
}

export function makePeople(
  n: number,
  opts: { prefix?: string; phoneEvery?: number; emailEvery?: number } = {},
): People {
  const prefix = opts.prefix ?? 'p';
  const hashed: HashedIdentity[] = [];
  const raw: string[] = [];
  for (let i = 0; i < n; i++) {
    const hasEmail = i % (opts.emailEvery ?? 1) === 0;
    const hasPhone = i % (opts.phoneEvery ?? 2) === 0;
    const email = hasEmail ? ` ${prefix.toUpperCase()}.Person${i}@Example.COM ` : null;
    const national = `0${String(7_700_000_000 + i).slice(0, 10)}`;
    const phone = hasPhone ? `${national.slice(0, 5)} ${national.slice(5)}` : null;
    hashed.push(hashIdentity({ customerId: `${prefix}-${i}`, email, phone, country: 'GB' }));
    if (email) raw.push(email.trim(), email.trim().toLowerCase());
    if (phone) raw.push(phone, national, `44${national.slice(1)}`, `+44${national.slice(1)}`);
  }
  return { hashed, raw };
}
