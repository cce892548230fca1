// A seeded generator of realistic exports for customers drawn from planted behavioural
// archetypes. Tests check that the pipeline recovers the archetypes; benchmarks use it for
// millions of rows. `npm run generate -- --customers 3000 --seed 7 --out events/data/sample`
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRandom, type Random } from '../../lib/util/random.js';

export const ARCHETYPES = ['loyal-high-spender', 'deal-seeker', 'seasonal-gifter', 'lapsed', 'new'] as const;
export type Archetype = (typeof ARCHETYPES)[number];

const DAY = 86_400_000;
const CATEGORIES = ['apparel', 'home', 'beauty', 'electronics', 'toys', 'books', 'outdoor', 'gifts'];
const CHANNELS = ['web', 'app', 'store', 'marketplace'];
const COUNTRIES = ['US', 'US', 'US', 'GB', 'DE', 'FR', 'CA', 'AU'];

export interface GenerateOptions {
  customers: number;
  seed?: number;
  /** the export's end: no event after it */
  endMs?: number;
  /** mix of archetypes (shares, same order as ARCHETYPES) */
  mix?: readonly number[];
}

export interface Order {
  orderId: string;
  customerId: string;
  timeMs: number;
  total: number;
  discount: number;
  category: string;
  channel: string;
  status: 'paid' | 'refunded';
}

export interface GeneratedCustomer {
  customerId: string;
  archetype: Archetype;
  email: string;
  phone: string;
  country: string;
  signupMs: number;
  consent: boolean;
}

const DEFAULT_MIX = [0.2, 0.25, 0.15, 0.2, 0.2];
export const DEFAULT_END_MS = Date.UTC(2026, 9, 31, 23, 0, 0);

function lognormal(r: Random, mean: number, sigma: number): number {
  // parameterised by its mean
  return mean * Math.exp(sigma * r.normal() - (sigma * sigma) / 2);
}

function exponential(r: Random, mean: number): number {
  return -Math.log(1 - r.next()) * mean;
}

function pickArchetype(r: Random, mix: readonly number[]): Archetype {
  let u = r.next() * mix.reduce((a, b) => a + b, 0);
  for (let i = 0; i < mix.length; i++) {
    u -= mix[i];
    if (u < 0) return ARCHETYPES[i];
  }
  return ARCHETYPES[ARCHETYPES.length - 1];
}

/** Purchase times (epoch ms, ascending) and basket profile for one customer of an archetype. */
function purchasePlan(
  r: Random,
  a: Archetype,
  end: number,
): { times: number[]; aov: number; discountP: number } {
  const times: number[] = [];
  const renewal = (start: number, stop: number, meanGap: number) => {
    for (let t = start; t < stop; t += Math.max(1, exponential(r, meanGap)) * DAY) times.push(t);
  };
  switch (a) {
    case 'loyal-high-spender': {
      const start = end - (420 + r.next() * 300) * DAY;
      renewal(start, end - r.next() * 10 * DAY, 18 + r.next() * 8);
      return { times, aov: lognormal(r, 120, 0.25), discountP: 0.08 };
    }
    case 'deal-seeker': {
      const start = end - (250 + r.next() * 400) * DAY;
      renewal(start, end - r.next() * 30 * DAY, 35 + r.next() * 15);
      return { times, aov: lognormal(r, 32, 0.25), discountP: 0.85 };
    }
    case 'seasonal-gifter': {
      // one to three orders in the last Nov–Dec gift season, sometimes also the one before
      const seasons = r.next() < 0.4 ? [2024, 2025] : [2025];
      for (const y of seasons) {
        const n = 1 + (r.next() < 0.35 ? 1 : 0);
        for (let i = 0; i < n; i++) times.push(Date.UTC(y, 10, 15) + r.next() * 40 * DAY);
      }
      times.sort((x, y) => x - y);
      return { times, aov: lognormal(r, 95, 0.25), discountP: 0.15 };
    }
    case 'lapsed': {
      const stop = end - (240 + r.next() * 260) * DAY;
      renewal(stop - (200 + r.next() * 250) * DAY, stop, 25 + r.next() * 10);
      return { times, aov: lognormal(r, 60, 0.25), discountP: 0.2 };
    }
    case 'new': {
      const start = end - (5 + r.next() * 70) * DAY;
      times.push(start);
      if (r.next() < 0.5) times.push(start + r.next() * (end - start));
      return { times, aov: lognormal(r, 55, 0.25), discountP: 0.35 };
    }
  }
}

/** Generates customers and their orders; calls `onOrder` in time order per customer. */
export function generate(
  options: GenerateOptions,
  onOrder: (o: Order) => void,
  onCustomer: (c: GeneratedCustomer) => void,
): void {
  const r = createRandom(options.seed ?? 7);
  const end = options.endMs ?? DEFAULT_END_MS;
  const mix = options.mix ?? DEFAULT_MIX;
  let orderSeq = 100_000;
  for (let i = 0; i < options.customers; i++) {
    const customerId = `C${String(100_000 + i)}`;
    const archetype = pickArchetype(r, mix);
    const plan = purchasePlan(r, archetype, end);
    if (!plan.times.length) plan.times.push(end - r.next() * 30 * DAY);
    const favourite = CATEGORIES[r.int(CATEGORIES.length)];
    const channel = CHANNELS[r.int(CHANNELS.length)];
    for (const t of plan.times) {
      const discounted = r.next() < plan.discountP;
      const gross = Math.max(3, lognormal(r, plan.aov, 0.35));
      const discount = discounted ? Math.round(gross * (0.1 + r.next() * 0.2) * 100) / 100 : 0;
      const order: Order = {
        orderId: `#${orderSeq++}`,
        customerId,
        timeMs: Math.floor(t / 1000) * 1000,
        total: Math.round((gross - discount) * 100) / 100,
        discount,
        category: r.next() < 0.7 ? favourite : CATEGORIES[r.int(CATEGORIES.length)],
        channel: r.next() < 0.8 ? channel : CHANNELS[r.int(CHANNELS.length)],
        status: 'paid',
      };
      onOrder(order);
      // a few orders come back a week later as a refund line
      if (r.next() < 0.03 && t + 7 * DAY < end) {
        onOrder({ ...order, timeMs: order.timeMs + 7 * DAY, total: -order.total, status: 'refunded' });
      }
    }
    onCustomer({
      customerId,
      archetype,
      email: `${customerId.toLowerCase()}@example.com`,
      phone: `+1415555${String(1000 + (i % 9000)).padStart(4, '0')}`,
      country: COUNTRIES[r.int(COUNTRIES.length)],
      signupMs: Math.floor(plan.times[0] - r.next() * 20 * DAY),
      consent: r.next() < 0.85,
    });
  }
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

export const TRANSACTIONS_HEADER =
  'order_id,customer_id,email,created_at,total,discount_amount,category,channel,financial_status\n';

export function orderLine(o: Order, email: string): string {
  return `${o.orderId},${o.customerId},${email},${iso(o.timeMs)},${o.total.toFixed(2)},${o.discount.toFixed(2)},${o.category},${o.channel},${o.status}\n`;
}

/** Writes transactions.csv and customers.csv to `dir`, and the planted labels to `labelsPath`. */
export async function writeSample(
  dir: string,
  labelsPath: string,
  options: GenerateOptions,
): Promise<{ orders: number; customers: number }> {
  mkdirSync(dir, { recursive: true });
  mkdirSync(dirname(labelsPath), { recursive: true });
  const tx = createWriteStream(join(dir, 'transactions.csv'));
  tx.write(TRANSACTIONS_HEADER);
  let customersCsv = 'customer_id,email,phone,country,signup_date,accepts_marketing\n';
  let labels = 'customer_id,archetype\n';
  let orders = 0;
  let customers = 0;
  let buffer = '';
  let pending: Order[] = [];
  generate(
    options,
    (o) => {
      pending.push(o);
    },
    (c) => {
      for (const o of pending) {
        buffer += orderLine(o, c.email);
        orders++;
      }
      pending = [];
      customers++;
      customersCsv += `${c.customerId},${c.email},${c.phone},${c.country},${iso(c.signupMs).slice(0, 10)},${c.consent ? 'yes' : 'no'}\n`;
      labels += `${c.customerId},${c.archetype}\n`;
      if (buffer.length > 1 << 20) {
        tx.write(buffer);
        buffer = '';
      }
    },
  );
  tx.write(buffer);
  await new Promise<void>((resolve, reject) => tx.end((e?: Error | null) => (e ? reject(e) : resolve())));
  writeFileSync(join(dir, 'customers.csv'), customersCsv);
  writeFileSync(labelsPath, labels);
  return { orders, customers };
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '3000' },
      seed: { type: 'string', default: '7' },
      out: { type: 'string', default: 'events/data/sample' },
      labels: { type: 'string', default: 'events/data/sample-archetypes.csv' },
    },
  });
  const result = await writeSample(values.out!, values.labels!, {
    customers: Number(values.customers),
    seed: Number(values.seed),
  });
  console.log(`wrote ${result.orders} order lines for ${result.customers} customers to ${values.out}`);
}

if (process.argv[1]?.endsWith('generate.ts')) await cli();
