import { describe, expect, it } from 'vitest';
import {
  executionName,
  snapshotRunId,
  startRunForObject,
  UnusableKeyError,
} from '../../../lib/pipeline/starter.js';
import type { RunInput } from '../../../lib/pipeline/types.js';
import { MemoryBlobStore } from '../../../lib/storage/blob.js';

async function storeWith(files: Record<string, string>): Promise<MemoryBlobStore> {
  const store = new MemoryBlobStore();
  for (const [k, v] of Object.entries(files)) await store.put(k, v);
  return store;
}

describe('starter', () => {
  it('starts one run over the whole dataset snapshot, named from its objects', async () => {
    // Prepare
    const store = await storeWith({
      'incoming/shop/a.csv': 'x',
      'incoming/shop/b.csv': 'yy',
      'incoming/other/c.csv': 'z',
    });
    const started: { name: string; input: RunInput }[] = [];
    // Act
    const result = await startRunForObject(
      store,
      { detail: { object: { key: 'incoming/shop/b.csv' } } },
      async (name, input) => {
        started.push({ name, input });
        return 'started';
      },
    );
    // Assess
    expect(started).toHaveLength(1);
    expect(started[0].input.objects.map((o) => o.key)).toEqual([
      'incoming/shop/a.csv',
      'incoming/shop/b.csv',
    ]);
    expect(result.executionName).toBe(executionName('shop', result.runId));
    expect(result.runId).toMatch(/^r[0-9a-f]{16}$/);
  });

  it('gives the same snapshot the same run id, and a changed object a new one', async () => {
    const a = snapshotRunId([{ key: 'incoming/s/a.csv', size: 1, etag: 'e1' }]);
    expect(snapshotRunId([{ key: 'incoming/s/a.csv', size: 1, etag: 'e1' }])).toBe(a);
    expect(snapshotRunId([{ key: 'incoming/s/a.csv', size: 1, etag: 'e2' }])).not.toBe(a);
  });

  it('treats ExecutionAlreadyExists (a duplicate delivery) as success', async () => {
    const store = await storeWith({ 'incoming/shop/a.csv': 'x' });
    const result = await startRunForObject(
      store,
      { detail: { object: { key: 'incoming/shop/a.csv' } } },
      async () => 'already-exists',
    );
    expect(result.status).toBe('already-exists');
  });

  it('refuses keys outside incoming/<dataset>/ with an actionable message', async () => {
    const store = new MemoryBlobStore();
    await expect(
      startRunForObject(store, { detail: { object: { key: 'incoming/a.csv' } } }, async () => 'started'),
    ).rejects.toThrow(UnusableKeyError);
    await expect(
      startRunForObject(
        store,
        { detail: { object: { key: 'incoming/bad%20name!/a.csv' } } },
        async () => 'started',
      ),
    ).rejects.toThrow(/dataset name/);
  });
});
