// The local run's progress: aws-local-stepfunctions' event log becomes the CLI's events. Only the
// definition's own states are reported; a failure is reported once it is caught or the run fails,
// never for an attempt that is retried.
import { describe, expect, it } from 'vitest';
import { type EngineEvent, type ProgressEvent, progressTranslator } from '../../../infra/local/progress.js';

const definition = {
  States: {
    Ingest: { Type: 'Task', ResultPath: '$.ingest' },
    Score: { Type: 'Map', ItemsPath: '$.ingest.shards' },
    Report: { Type: 'Task' },
    Failed: { Type: 'Fail' },
  },
};

function translate(events: EngineEvent[]): ProgressEvent[] {
  const out: ProgressEvent[] = [];
  const t = progressTranslator(definition, (e) => out.push(e));
  for (const e of events) t(e);
  return out;
}

describe('progressTranslator', () => {
  it('reports a state with its own duration and the rows Ingest counted', () => {
    // Act
    const out = translate([
      { type: 'StateEntered', timestamp: 1_000, state: { name: 'Ingest' } },
      {
        type: 'StateExited',
        timestamp: 1_500,
        state: { name: 'Ingest', output: { ingest: { rows: { read: 10, accepted: 9, rejected: 1 } } } },
      },
    ]);
    // Assess
    expect(out).toEqual([
      { type: 'state-started', state: 'Ingest' },
      { type: 'rows', read: 10, accepted: 9, rejected: 1 },
      { type: 'state-finished', state: 'Ingest', ms: 500, stateType: 'Task' },
    ]);
  });

  it("counts a Map's shards from its input, and ignores the states inside an iteration", () => {
    const out = translate([
      {
        type: 'StateEntered',
        timestamp: 0,
        state: { name: 'Score', input: { ingest: { shards: [{}, {}, {}] } } },
      },
      { type: 'MapIterationStarted', index: 0, parentState: { name: 'Score' } },
      { type: 'StateEntered', timestamp: 1, index: 0, state: { name: 'Score' } },
      { type: 'StateEntered', timestamp: 1, state: { name: 'ScoreShard' } },
      { type: 'MapIterationSucceeded', index: 0, parentState: { name: 'Score' } },
    ]);
    expect(out).toEqual([
      { type: 'state-started', state: 'Score' },
      { type: 'shard-finished', state: 'Score', index: 0, done: 1, total: 3 },
    ]);
  });

  it('reports a failure once caught, not the attempts that were retried, and not the caught state as finished', () => {
    const out = translate([
      { type: 'StateEntered', timestamp: 0, state: { name: 'Report' } },
      { type: 'StateFailed', state: { name: 'Report' }, Error: 'TransientError', Cause: 'slow down' },
      { type: 'StateRetried', state: { name: 'Report' } },
      { type: 'StateFailed', state: { name: 'Report' }, Error: 'InputRejectedError', Cause: 'bad file' },
      { type: 'StateCaught', state: { name: 'Report' } },
      { type: 'StateExited', timestamp: 9, state: { name: 'Report' } },
      { type: 'StateFailed', state: { name: 'Failed' }, Error: 'InputRejectedError' },
    ]);
    expect(out).toEqual([
      { type: 'state-started', state: 'Report' },
      { type: 'state-failed', state: 'Report', error: 'InputRejectedError', cause: 'bad file' },
    ]);
  });

  it('reports a failure nobody caught when the execution fails', () => {
    const out = translate([
      { type: 'StateFailed', state: { name: 'Ingest' }, Error: 'States.Timeout', Cause: { not: 'text' } },
      { type: 'ExecutionFailed' },
    ]);
    expect(out).toEqual([
      { type: 'state-failed', state: 'Ingest', error: 'States.Timeout', cause: undefined },
    ]);
  });
});
