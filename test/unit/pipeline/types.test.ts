// The stage payload contracts: what each schema accepts and refuses, and what it hands the stage
// (unknown keys dropped). The handlers parse their events with these very schemas.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  failedRun,
  incomingObject,
  membershipShardTask,
  rangeTask,
  reportTask,
  runInput,
  runRef,
  settleRequest,
  shardedRun,
  shardTask,
} from '../../../lib/pipeline/types.js';

const ref = { dataset: 'shop', runId: 'r1' };
const object = { key: 'incoming/shop/orders.csv', size: 10 };

const cases: [name: string, schema: z.ZodType, accepted: unknown[], refused: unknown[]][] = [
  [
    'runRef',
    runRef,
    [ref],
    [{ dataset: 'shop' }, { dataset: '', runId: 'r1' }, { dataset: 'shop', runId: 1 }, null, 'shop'],
  ],
  [
    'incomingObject',
    incomingObject,
    [object, { ...object, versionId: 'v1', etag: '"e"' }, { key: 'k', size: 0 }, { key: 'k', size: 1.5 }],
    [{ key: '', size: 1 }, { key: 'k', size: -1 }, { key: 'k' }, { ...object, versionId: 3 }],
  ],
  [
    'runInput',
    runInput,
    [
      { ...ref, objects: [object] },
      { ...ref, objects: { manifest: 'snapshots/shop/r1.json', count: 3 } },
    ],
    [
      { ...ref, objects: [] },
      { ...ref, objects: { manifest: '', count: 3 } },
      { ...ref, objects: { manifest: 'm', count: 0 } },
      { ...ref, objects: { manifest: 'm', count: 1.5 } },
      { ...ref, objects: [{ key: 'k', size: -1 }] },
      ref,
    ],
  ],
  [
    'shardTask',
    shardTask,
    [
      { ...ref, shard: { index: 0 }, asOfMs: 1 },
      { ...ref, shard: { index: 3 }, asOfMs: -1.5 },
    ],
    [
      { ...ref, shard: { index: -1 }, asOfMs: 1 },
      { ...ref, shard: { index: 0.5 }, asOfMs: 1 },
      { ...ref, shard: {}, asOfMs: 1 },
      { ...ref, shard: { index: 0 } },
    ],
  ],
  [
    'shardedRun',
    shardedRun,
    [{ ...ref, shardCount: 1 }],
    [{ ...ref, shardCount: 0 }, { ...ref, shardCount: 2.5 }, { ...ref, shardCount: '2' }, ref],
  ],
  [
    'rangeTask',
    rangeTask,
    [{ ...ref, range: { index: 0 } }],
    [
      { ...ref, range: {} },
      { ...ref, range: { index: -1 } },
      { ...ref, shard: { index: 0 } },
    ],
  ],
  [
    'membershipShardTask',
    membershipShardTask,
    [{ ...ref, shardCount: 4, shard: { index: 3 } }],
    [
      { ...ref, shard: { index: 0 } },
      { ...ref, shardCount: 4 },
      { ...ref, shardCount: 0, shard: { index: 0 } },
    ],
  ],
  [
    'reportTask',
    reportTask,
    [
      { ...ref, asOfMs: 5 },
      { ...ref, asOfMs: 5, startedAt: '2026-01-01T00:00:00Z' },
    ],
    [ref, { ...ref, asOfMs: '5' }, { ...ref, asOfMs: 5, startedAt: 5 }],
  ],
  [
    'failedRun',
    failedRun,
    [
      { ...ref, objects: [object] },
      { ...ref, objects: [object], error: {} },
      { ...ref, objects: [object], error: { Error: 'States.TaskFailed', Cause: '{}' } },
    ],
    [
      { ...ref, objects: [object], error: { Error: 1 } },
      { ...ref, error: {} },
    ],
  ],
  [
    'settleRequest',
    settleRequest,
    [{ dataset: 'shop' }, { dataset: '', scheduledTime: 'x', lastActivityMs: 1.5 }],
    [{}, { dataset: 'shop', scheduledTime: 1 }, { dataset: 'shop', lastActivityMs: 'now' }],
  ],
];

describe('stage payload contracts', () => {
  for (const [name, schema, accepted, refused] of cases) {
    it(`${name} accepts what the workflow sends and refuses the rest`, () => {
      for (const payload of accepted)
        expect(schema.safeParse(payload).success, JSON.stringify(payload)).toBe(true);
      for (const payload of refused)
        expect(schema.safeParse(payload).success, JSON.stringify(payload)).toBe(false);
    });
  }

  it('hands the stage only the fields it declares (the rest of the state is dropped)', () => {
    expect(shardedRun.parse({ ...ref, shardCount: 2, ingest: { shards: [] }, extra: 1 })).toEqual({
      ...ref,
      shardCount: 2,
    });
    expect(
      failedRun.parse({ ...ref, objects: [{ ...object, lastModified: 't' }], error: { Error: 'E', x: 1 } }),
    ).toEqual({ ...ref, objects: [object], error: { Error: 'E' } });
  });
});
