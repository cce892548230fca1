// The whole state machine, locally: the synthesized definition on the embedded stand-ins, on the
// committed sample generated from planted archetypes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../infra/local/environment.js';
import { collectInputs } from '../../infra/local/inputs.js';
import { type LocalRunResult, runLocal } from '../../infra/local/runner.js';
import { adjustedRandIndex } from '../../lib/models/metrics.js';
import { localEnvironment, parseCsv, plantedArchetypes, readText } from '../support/local.js';

let env: LocalEnvironment;
let result: LocalRunResult;
const states: string[] = [];

beforeAll(async () => {
  env = await localEnvironment();
  result = await runLocal(env, collectInputs(['events/data/sample']), {
    dataset: 'sample',
    // four shards, so the Distributed Maps and the shard merge are exercised
    config: { shards: 4, destinations: { crm: { type: 'file' } } },
    onProgress: (e) => {
      if (e.type === 'state-finished') states.push(e.state);
    },
  });
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

describe('local pipeline on the planted sample', () => {
  it('succeeds through every state of the synthesized definition', () => {
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    for (const s of [
      'Ingest',
      'IngestRanges',
      'MergeIngest',
      'BuildFeatures',
      'Fit',
      'Score',
      'Validate',
      'Publish',
      'Report',
    ])
      expect(states).toContain(s);
  });

  it('accounts for every row', () => {
    const { rows } = result.summary!;
    expect(rows.read).toBe(rows.accepted + rows.rejected);
    expect(rows.read).toBe(38_492);
  });

  it('recovers the planted archetypes (adjusted Rand index ≥ 0.9)', async () => {
    // Prepare
    const planted = plantedArchetypes();
    const memberships = parseCsv(await readText(env, 'exports/sample/latest/memberships.csv'));
    const names = [...new Set(planted.values())];
    // Act
    const truth = memberships.map((m) => names.indexOf(planted.get(m.customer_id)!));
    const found = memberships.map((m) => Number(m.segment_id.slice(4)));
    const ari = adjustedRandIndex(truth, found);
    // Assess
    expect(ari).toBeGreaterThanOrEqual(0.9);
  });

  it('gives every customer exactly one membership, in the export and in DynamoDB', async () => {
    const planted = plantedArchetypes();
    const memberships = parseCsv(await readText(env, 'exports/sample/latest/memberships.csv'));
    const ids = memberships.map((m) => m.customer_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(planted.size);
    const { DynamoSegmentStore } = await import('../../lib/storage/segment-store.js');
    const { createDocumentClient } = await import('../../lib/storage/clients.js');
    const store = new DynamoSegmentStore(createDocumentClient(), {
      catalog: process.env.CATALOG_TABLE!,
      memberships: process.env.MEMBERSHIPS_TABLE!,
      runs: process.env.RUNS_TABLE!,
    });
    let total = 0;
    for (const s of result.summary!.segments) {
      let page: Record<string, unknown> | undefined;
      do {
        const res = await store.segmentMembers('sample', s.id, page);
        total += res.customerIds.length;
        page = res.next;
      } while (page);
    }
    expect(total).toBe(planted.size);
    expect(await store.customerSegments('sample', ids[0])).toHaveLength(1);
  });

  it('writes a run summary with the documented names, and hashed audiences only', async () => {
    const s = result.summary!;
    expect(Object.keys(s)).toEqual(
      expect.arrayContaining([
        'runId',
        'dataset',
        'rows',
        'customers',
        'segments',
        'models',
        'validation',
        'outputs',
      ]),
    );
    expect(s.segments.length).toBeGreaterThanOrEqual(3);
    expect(s.segments.length).toBeLessThanOrEqual(5);
    for (const seg of s.segments) {
      expect(Object.keys(seg)).toEqual(
        expect.arrayContaining(['id', 'name', 'description', 'size', 'share', 'status']),
      );
      expect(seg.description).toMatch(/\.$/);
    }
    expect(s.audiences.length).toBeGreaterThan(0);
    const audience = await readText(env, s.audiences[0].key);
    expect(audience).not.toMatch(/@|\+1415/);
    expect(audience.split('\n')[1]).toMatch(/^[0-9a-f]{64},[0-9a-f]{64}$/);
    // header + one line per member the summary counts, each ended by a newline
    expect(audience.split('\n').length - 2).toBe(s.audiences[0].members);
    expect(await readText(env, s.outputs.report)).toContain('<html');
  });
});
