// The Ingest stage on in-memory sources: what each kind of input becomes in the shards, governance of
// sensitive columns and identifiers, repeats, and the partitioner's bounded buffers.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/config/schema.js';
import { RUN_LEVEL, ShardPartitioner } from '../../../lib/ingest/partition.js';
import { emailKey, FingerprintSet, type IngestSource, ingestSources } from '../../../lib/ingest/stage.js';
import { sha256Hex } from '../../../lib/publish/identity.js';
import { type Columns, decodeColumns } from '../../../lib/storage/columnar.js';
import { shardOf } from '../../../lib/util/hash.js';

const NOW = Date.UTC(2026, 10, 22);

function source(file: string, text: string | Uint8Array): IngestSource {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  return {
    file,
    size: bytes.length,
    open: async () =>
      (async function* () {
        for (let i = 0; i < bytes.length; i += 64) yield bytes.subarray(i, i + 64);
      })(),
  };
}

/** Runs the stage and returns decoded parts by record name, plus every written byte as text. */
async function run(sources: IngestSource[], rawConfig: unknown = {}, options = {}) {
  const parts = new Map<string, Columns[]>();
  const shards = new Map<string, Set<number>>();
  let allText = '';
  const report = await ingestSources(
    sources,
    parseConfig(rawConfig),
    async (shard, name, _part, bytes) => {
      const list = parts.get(name) ?? [];
      list.push(decodeColumns(bytes).columns);
      parts.set(name, list);
      const s = shards.get(name) ?? new Set<number>();
      s.add(shard);
      shards.set(name, s);
      allText += Buffer.from(bytes).toString('latin1');
    },
    { now: NOW, ...options },
  );
  const column = (name: string, col: string): unknown[] =>
    (parts.get(name) ?? []).flatMap((p) => Array.from(p[col] as ArrayLike<unknown>));
  return { report, parts, shards, column, allText };
}

const ORDERS =
  'order_id,customer_id,email,created_at,total,category\n' +
  '1,c1,A@Example.com,2026-01-02,10.00,home\n' +
  '2,c2,b@example.com,2026-01-03,20.00,toys\n' +
  '3,c1,a@example.com,2026-01-04,-5.00,home\n' +
  '1,c1,A@Example.com,2026-01-02,10.00,home\n';

describe('ingestSources', () => {
  it('stores transactions with returns as flagged absolute amounts, and rejects an exact repeat', async () => {
    // Act
    const { report, column } = await run([source('orders.csv', ORDERS)], { shards: 2 });
    // Assess
    const f = report.files[0];
    expect(f.rows).toEqual({ read: 4, accepted: 3, rejected: 1 });
    expect(f.rejectedByCode).toEqual({ 'duplicate-row': 1 });
    expect(f.issues[0]).toMatchObject({ code: 'duplicate-row', line: 5, column: 'order_id' });
    expect(column('transactions', 'amount').sort()).toEqual([10, 20, 5].sort());
    expect(column('transactions', 'isReturn').reduce((a, b) => (a as number) + (b as number), 0)).toBe(1);
    expect(report.quarantined).toEqual([]);
  });

  it('recognises a repeat by value, not by spelling, and keeps rows that differ in one field', async () => {
    // Prepare: line 3 repeats line 2 with the amount spelled differently; the others differ in one
    // field each, or move characters between the customer and order ids
    const text =
      'order_id,customer_id,created_at,total,product_id\n' +
      'o1,c1,2026-01-02T10:00:00Z,10.00,p1\n' +
      'o1,c1,2026-01-02T10:00:00Z,10.0,p1\n' +
      'o1,c1,2026-01-02T10:00:00Z,10.01,p1\n' +
      'o1,c1,2026-01-02T10:00:01Z,10.00,p1\n' +
      'o1,c1,2026-01-02T10:00:00Z,10.00,p2\n' +
      '1o1,c,2026-01-02T10:00:00Z,10.00,p1\n' +
      'o1,c1,2026-01-02T10:00:00Z,0,p1\n' +
      'o1,c1,2026-01-02T10:00:00Z,-0,p1\n';

    // Act
    const { report } = await run([source('orders.csv', text)]);

    // Assess
    const f = report.files[0];
    expect(f.rows).toEqual({ read: 8, accepted: 6, rejected: 2 });
    expect(f.issues.map((i) => i.line)).toEqual([3, 9]);
  });

  it('keeps repeats when the config says so, and never treats rows without an order id as repeats', async () => {
    const kept = await run([source('orders.csv', ORDERS)], { duplicateRows: 'keep' });
    expect(kept.report.files[0].rows.accepted).toBe(4);
    const noOrder = 'customer_id,date,amount\nc1,2026-01-02,10\nc1,2026-01-02,10\nc2,2026-01-02,10\n';
    const { report } = await run([source('orders.csv', noOrder)]);
    expect(report.files[0].rows).toEqual({ read: 3, accepted: 3, rejected: 0 });
  });

  it('partitions by a stable hash of the customer id into the shard count asked for', async () => {
    const lines = Array.from({ length: 400 }, (_, i) => `${i},c${i % 97},2026-01-02,${i}.00`);
    const { report, parts } = await run(
      [source('orders.csv', `order_id,customer_id,date,amount\n${lines.join('\n')}\n`)],
      {
        shards: 8,
      },
    );
    expect(report.shardCount).toBe(8);
    for (const [, list] of [...parts].filter(([n]) => n === 'transactions')) {
      for (const p of list) {
        const ids = p.customerId as string[];
        const shard = shardOf(ids[0], 8);
        expect(ids.every((id) => shardOf(id, 8) === shard)).toBe(true);
      }
    }
    expect(shardOf('c1', 8)).toBe(shardOf('c1', 8));
  });

  it('stores CRM attributes per customer, identities apart, and flags a conflicting duplicate (last wins)', async () => {
    const crm =
      'customer_id,email,phone,country,loyalty_tier,religion\n' +
      'c1,a@example.com,+14155550100,US,gold,x\n' +
      'c2,b@example.com,,GB,silver,y\n' +
      'c1,a@example.com,+14155550100,US,bronze,x\n';
    const { report, column, parts } = await run([source('orders.csv', ORDERS), source('customers.csv', crm)]);
    const f = report.files.find((x) => x.file === 'customers.csv')!;
    expect(f.kind).toBe('customers');
    expect(f.rows).toEqual({ read: 3, accepted: 3, rejected: 0 });
    expect(f.flaggedByCode).toEqual({ 'conflicting-customer': 1 });
    expect(f.flagged[0]).toMatchObject({ line: 4, column: 'customer_id' });
    expect(f.flagged[0].value).toBeUndefined();
    expect(f.warnings.join(' ')).toMatch(/lines 2 and 4.*last row of each is kept/);
    expect(f.warnings.join(' ')).toMatch(/"religion" looks like sensitive data \(religion\); it is dropped/);
    const customers = parts.get('customers')!;
    expect(Object.keys(customers[0])).toEqual([
      'customerId',
      'country',
      'loyalty_tier',
      'line',
      'signupDateMs',
      'file',
      'attributesHash',
    ]);
    expect(column('customers', 'loyalty_tier')).toEqual(expect.arrayContaining(['gold', 'bronze', 'silver']));
    expect(column('identities', 'phone')).toContain('+14155550100');
  });

  it('keeps a sensitive column declared audit-only apart, with its purpose in the warnings', async () => {
    const crm = 'customer_id,loyalty_tier,health_condition\nc1,gold,asthma\nc2,silver,\n';
    const { report, parts, column } = await run(
      [source('orders.csv', ORDERS), source('customers.csv', crm)],
      {
        files: [
          {
            match: 'customers.csv',
            auditOnly: [
              {
                column: 'health_condition',
                purpose: 'product safety recall audit',
                legalBasis: 'legal obligation',
              },
            ],
          },
        ],
      },
    );
    const f = report.files.find((x) => x.file === 'customers.csv')!;
    expect(f.warnings.join(' ')).toMatch(
      /kept for audit only \(purpose: product safety recall audit; legal basis: legal obligation\)/,
    );
    expect(column('audit', 'health_condition')).toEqual(expect.arrayContaining(['asthma', '']));
    expect(Object.keys(parts.get('customers')![0])).not.toContain('health_condition');
  });

  it('stores outcomes as 0/1 labels and seeds by hashed identifiers only', async () => {
    const outcomes = 'customer_id,converted,date\nc1,yes,2026-02-01\nc2,0,\nc3,perhaps,\n';
    const seeds = 'email\nA@Example.com\n';
    const { report, column, parts } = await run(
      [source('orders.csv', ORDERS), source('outcomes.csv', outcomes), source('seeds.csv', seeds)],
      { maxRowErrorRate: 0.5 },
    );
    expect(column('outcomes', 'label')).toEqual([1, 0]);
    expect(report.files.find((f) => f.file === 'outcomes.csv')!.issues[0]).toMatchObject({
      code: 'invalid-label',
      line: 4,
      column: 'converted',
      value: 'perhaps',
    });
    expect(column('seeds', 'emailSha256')).toEqual([sha256Hex('a@example.com')]);
    expect(JSON.stringify(parts.get('seeds'))).not.toContain('@');
  });

  it('writes suppressions and erasure requests at run level with hashed identifiers, never raw ones', async () => {
    const suppressions =
      'email,phone,country,request_type\nx@example.com,,US,unsubscribe\n,+44 20 7946 0958,GB,GDPR erasure\n';
    const { column, shards, allText, report } = await run([
      source('orders.csv', ORDERS),
      source('suppressions.csv', suppressions),
    ]);
    expect(report.files[1], JSON.stringify(report.files[1])).toMatchObject({
      kind: 'suppressions',
      rows: { read: 2, accepted: 2, rejected: 0 },
    });
    expect([...shards.get('suppressions')!]).toEqual([RUN_LEVEL]);
    expect(column('suppressions', 'type')).toEqual(['suppress', 'erase']);
    expect(column('suppressions', 'emailSha256')[0]).toBe(sha256Hex('x@example.com'));
    expect(column('suppressions', 'phoneSha256')[1]).toBe(sha256Hex('+442079460958'));
    expect(allText).not.toContain('x@example.com');
    expect(allText).not.toContain('7946');
  });

  it('quarantines a file above the error rate and counts every row', async () => {
    const bad = 'customer_id,date,amount\nc1,2026-01-02,10\nc2,2026-01-02,abc\nc3,2026-01-02,\n';
    const { report } = await run([source('orders.csv', bad)]);
    const f = report.files[0];
    expect(f.quarantined).toBe(true);
    expect(f.fileError).toMatchObject({ code: 'too-many-bad-rows' });
    expect(f.rows.read).toBe(f.rows.accepted + f.rows.rejected);
    expect(report.quarantined).toEqual(['orders.csv']);
  });

  it('reads dates with the configured day-first order and time zone', async () => {
    const text = 'customer_id,date,amount\nc1,02/01/2026 10:00,10\nc2,03/01/2026 10:00,1\n';
    const { column } = await run([source('orders.csv', text)], {
      files: [{ match: '*', dayFirst: true, timeZone: 'Europe/Paris' }],
    });
    expect(column('transactions', 'timestampMs')).toEqual([Date.UTC(2026, 0, 2, 9), Date.UTC(2026, 0, 3, 9)]);
  });
});

describe('ShardPartitioner', () => {
  it('flushes the fullest buffer once the row budget is reached, so memory stays flat', async () => {
    // Prepare
    const written: { shard: number; rows: number }[] = [];
    const p = new ShardPartitioner(
      16,
      async (shard, _name, _part, bytes) => {
        written.push({ shard, rows: (decodeColumns(bytes).columns.customerId as string[]).length });
      },
      { bufferedRowBudget: 1_000, rowsPerPart: 100_000 },
    );
    const row = {
      customerId: '',
      orderId: '',
      category: '',
      channel: '',
      eventType: '',
      timestampMs: 1,
      amount: 1,
      quantity: 1,
      discount: 0,
      isReturn: 0,
    };
    // Act
    for (let i = 0; i < 10_000; i++) {
      row.customerId = `c${i}`;
      p.addTransaction(row);
    }
    await p.close();
    // Assess
    expect(written.reduce((n, w) => n + w.rows, 0)).toBe(10_000);
    expect(written.length).toBeGreaterThan(16);
  });
});

describe('FingerprintSet', () => {
  it('recognises repeats and starts over when half full', () => {
    const set = new FingerprintSet(1 << 4);
    expect(set.add('a')).toBe(true);
    expect(set.add('a')).toBe(false);
    for (let i = 0; i < 20; i++) set.add(`k${i}`);
    expect(set.resets).toBeGreaterThan(0);
  });
});

describe('customers known only by email', () => {
  it('get a pseudonymous id, and the raw address stays in identities only', async () => {
    const text = 'email,created_at,total\nAnn@Example.com,2026-01-02,10\nann@example.com,2026-01-03,12\n';
    const parts = new Map<string, Columns[]>();
    await ingestSources(
      [source('orders.csv', text)],
      parseConfig({}),
      async (_shard, name, _part, bytes) => {
        parts.set(name, [...(parts.get(name) ?? []), decodeColumns(bytes).columns]);
      },
      { now: NOW },
    );
    const ids = parts.get('transactions')!.flatMap((p) => p.customerId as string[]);
    expect(ids).toEqual([emailKey('ann@example.com'), emailKey('ann@example.com')]);
    expect(ids[0]).toMatch(/^em-[0-9a-f]{24}$/);
    expect(JSON.stringify(parts.get('transactions'))).not.toContain('@');
    expect(parts.get('identities')![0].email).toEqual(['Ann@Example.com']);
  });
});
