// What a local run segments: folders expand to their data files in a stable order, named as in the
// dataset; the dataset is named after the first input when no name is given.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectInputs, datasetNameFor } from '../../../infra/local/inputs.js';

const dir = mkdtempSync(join(tmpdir(), 'inputs-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('collectInputs', () => {
  it('walks folders in name order, keeps data files only, and names them relative to the folder', () => {
    // Prepare
    for (const f of ['b.csv', 'a.TSV', 'notes.md', '.hidden.csv', 'sub/c.jsonl.gz', 'sub/d.parquet']) {
      mkdirSync(join(dir, 'drop', f, '..'), { recursive: true });
      writeFileSync(join(dir, 'drop', f), 'x');
    }
    writeFileSync(join(dir, 'single.csv'), 'x');
    // Act
    const inputs = collectInputs([join(dir, 'drop'), join(dir, 'single.csv')]);
    // Assess
    expect(inputs).toEqual([
      { path: join(dir, 'drop', 'a.TSV'), name: 'a.TSV' },
      { path: join(dir, 'drop', 'b.csv'), name: 'b.csv' },
      { path: join(dir, 'drop', 'sub', 'c.jsonl.gz'), name: 'sub/c.jsonl.gz' },
      { path: join(dir, 'drop', 'sub', 'd.parquet'), name: 'sub/d.parquet' },
      { path: join(dir, 'single.csv'), name: 'single.csv' },
    ]);
  });

  it('throws for a path that does not exist (the CLI turns it into a usage error)', () => {
    expect(() => collectInputs([join(dir, 'missing')])).toThrow();
  });
});

describe('datasetNameFor', () => {
  it.each([
    [['events/data/sample'], 'sample'],
    [['exports/orders.csv.gz', 'customers.csv'], 'orders'],
    [['my data (2026).csv'], 'my-data-2026'],
    [['---.csv'], 'dataset'],
    [[], 'dataset'],
  ])('%j → %s', (paths, name) => {
    expect(datasetNameFor(paths)).toBe(name);
  });
});
