// The Ingest stage fanned out over ranges, on the in-memory store: exact duplicates that meet only in a
// shard are counted back into ingest.json and the file's error report once (Fit may be retried), and a
// file that is unusable from its first lines stops the run at the plan, before any range is read.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/config/schema.js';
import type { IngestReport } from '../../../lib/ingest/stage.js';
import { InputRejectedError, ingestSources } from '../../../lib/ingest/stage.js';
import { buildFeatures } from '../../../lib/pipeline/features.js';
import { applyDuplicateChecks, ingest } from '../../../lib/pipeline/ingest.js';
import { getJson, MemoryBlobStore } from '../../../lib/storage/blob.js';

const NOW = Date.UTC(2026, 10, 22);
const run = { dataset: 'shop', runId: 'r1' };

function orders(from: number, to: number): string[] {
  const lines: string[] = [];
  for (let i = from; i < to; i++)
    lines.push(
      `O${i},C${i % 300},2026-03-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z,${(5 + (i % 50)).toFixed(2)},"cat ${i % 3}"`,
    );
  return lines;
}

async function drop(store: MemoryBlobStore, files: Record<string, string>) {
  const objects = [];
  for (const [name, text] of Object.entries(files)) {
    const key = `incoming/shop/${name}`;
    await store.put(key, text);
    objects.push({ key, size: Buffer.byteLength(text) });
  }
  return { ...run, objects };
}

describe('ingest over ranges, then BuildFeatures and Fit', () => {
  it('counts duplicates across ranges and files once per file, with lines, however often Fit runs', async () => {
    // Prepare: a.csv repeats its row 10 at its end (another range); b.csv repeats a.csv's rows 0–4
    const header = 'order_id,customer_id,created_at,amount,category';
    const a = orders(0, 3000);
    const aText = [header, ...a, a[10]].join('\n');
    const bText = [header, ...a.slice(0, 5), ...orders(5000, 5010)].join('\n');
    const store = new MemoryBlobStore();
    const input = await drop(store, { 'a.csv': aText, 'b.csv': bText });
    // Act
    const out = await ingest(store, input, { now: NOW, rangeBytes: 8192 });
    for (const shard of out.shards) await buildFeatures(store, { ...run, shard, asOfMs: out.asOfMs });
    await applyDuplicateChecks(store, run, out.shardCount);
    await applyDuplicateChecks(store, run, out.shardCount); // a retried Fit
    // Assess
    const plan = await getJson<{ ranges: unknown[] }>(store, 'runs/shop/r1/ingest-plan.json');
    expect(plan.ranges.length).toBeGreaterThan(5);
    const report = await getJson<IngestReport>(store, 'runs/shop/r1/ingest.json');
    expect(report.files.map((f) => [f.file, f.rows, f.rejectedByCode])).toEqual([
      ['a.csv', { read: 3001, accepted: 3000, rejected: 1 }, { 'duplicate-row': 1 }],
      ['b.csv', { read: 15, accepted: 10, rejected: 5 }, { 'duplicate-row': 5 }],
    ]);
    expect(report.rows).toEqual({ read: 3016, accepted: 3010, rejected: 6 });
    expect(report.records.transactions).toBe(3010);
    const errors = await getJson<{ issues: { line: number; column: string; value: string }[] }>(
      store,
      'rejected/shop/b.csv.errors.json',
    );
    expect(errors.issues.map((i) => [i.line, i.column, i.value])).toEqual([
      [2, 'order_id', 'O0'],
      [3, 'order_id', 'O1'],
      [4, 'order_id', 'O2'],
      [5, 'order_id', 'O3'],
      [6, 'order_id', 'O4'],
    ]);
    // the same counts a whole-snapshot read gives
    const whole = await ingestSources(
      ['a.csv', 'b.csv'].map((file) => {
        const bytes = new TextEncoder().encode(file === 'a.csv' ? aText : bText);
        return {
          file,
          size: bytes.length,
          open: async () =>
            (async function* () {
              yield bytes;
            })(),
        };
      }),
      parseConfig({}),
      async () => {},
      { now: NOW },
    );
    expect(whole.files.map((f) => f.rows)).toEqual(report.files.map((f) => f.rows));
  });

  it('flags a CRM customer repeated with other attributes in another range, as a whole-file read does', async () => {
    // Prepare: C5 comes back at the end with another tier (a conflict); C7 comes back unchanged (none)
    const rows = Array.from({ length: 2500 }, (_, i) => `C${i},US,tier-${i % 3}`);
    const customers = ['customer_id,country,loyalty_tier', ...rows, 'C5,US,platinum', rows[7]].join('\n');
    const store = new MemoryBlobStore();
    const input = await drop(store, {
      'customers.csv': customers,
      'orders.csv': ['order_id,customer_id,created_at,amount,category', ...orders(0, 50)].join('\n'),
    });
    // Act
    const out = await ingest(store, input, { now: NOW, rangeBytes: 4096 });
    for (const shard of out.shards) await buildFeatures(store, { ...run, shard, asOfMs: out.asOfMs });
    await applyDuplicateChecks(store, run, out.shardCount);
    const whole = await ingestSources(
      [
        {
          file: 'customers.csv',
          size: customers.length,
          open: async () =>
            (async function* () {
              yield new TextEncoder().encode(customers);
            })(),
        },
      ],
      parseConfig({}),
      async () => {},
      { now: NOW },
    );
    // Assess
    const report = await getJson<IngestReport>(store, 'runs/shop/r1/ingest.json');
    const crm = report.files.find((f) => f.file === 'customers.csv')!;
    expect(crm.flaggedByCode).toEqual({ 'conflicting-customer': 1 });
    expect(crm.flagged.map((i) => [i.line, i.column, i.message])).toEqual(
      whole.files[0].flagged.map((i) => [i.line, i.column, i.message]),
    );
    expect(crm.flagged[0].line).toBe(2502);
    expect(crm.warnings.filter((w) => w.includes('more than once'))).toEqual(
      whole.files[0].warnings.filter((w) => w.includes('more than once')),
    );
    expect(crm.rows).toEqual({ read: 2502, accepted: 2502, rejected: 0 });
  });

  it('stops at the plan when a file is unusable from its header, before reading any range', async () => {
    // Prepare: no amount column
    const store = new MemoryBlobStore();
    const input = await drop(store, {
      'orders.csv': ['order_id,customer_id,created_at', 'O1,C1,2026-01-02T10:00:00Z'].join('\n'),
      'more.csv': ['order_id,customer_id,created_at,amount,category', ...orders(0, 10)].join('\n'),
    });
    // Act
    const error = await ingest(store, input, { now: NOW }).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(InputRejectedError);
    expect((error as Error).message).toContain('1 of 2 file(s) could not be used: orders.csv');
    expect(await store.getIfExists('runs/shop/r1/ingest-plan.json')).toBeUndefined();
    const errors = await getJson<{ fileError: { code: string } }>(
      store,
      'rejected/shop/orders.csv.errors.json',
    );
    expect(errors.fileError.code).toBe('missing-column');
  });
});
