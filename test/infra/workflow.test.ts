// The retry policy every task carries: temporary failures (TransientError, Lambda service errors) are
// retried with bounded, jittered backoff; a timeout is retried once; nothing else is retried, so a
// named input error reaches the Catch and Quarantine on its first attempt.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  TASK_TIMEOUT_MARGIN_SECONDS,
  TIMEOUT_ERRORS,
  TRANSIENT_ERRORS,
} from '../../infra/constructs/workflow.js';
import { localModel } from '../../infra/local/template.js';
import { TRANSIENT_ERROR } from '../../lib/util/error-names.js';
import { allStates, type Definition, definitionOf, type State, synthStack } from '../support/template.js';

let definition: Definition;
let tasks: [string, State][];
let timeoutsByState: Record<string, number>;

beforeAll(() => {
  const { template } = synthStack();
  definition = definitionOf(template);
  tasks = Object.entries(allStates(definition)).filter(([, s]) => s.Type === 'Task');
  const raw = template.toJSON() as Parameters<typeof localModel>[0];
  timeoutsByState = localModel(raw).taskTimeoutSeconds;
});

describe('retries', () => {
  it('every task retries exactly the temporary failures, bounded, with jitter', () => {
    expect(tasks).toHaveLength(13);
    for (const [name, task] of tasks) {
      const retry = task.Retry as {
        ErrorEquals: string[];
        MaxAttempts: number;
        MaxDelaySeconds?: number;
        JitterStrategy?: string;
      }[];
      expect(
        retry.map((r) => r.ErrorEquals),
        name,
      ).toEqual([[TRANSIENT_ERROR], TRANSIENT_ERRORS, TIMEOUT_ERRORS]);
      expect(
        retry.map((r) => r.MaxAttempts),
        name,
      ).toEqual([4, 5, 1]);
      expect(
        retry.every((r) => r.JitterStrategy === 'FULL'),
        name,
      ).toBe(true);
      expect(retry[0].MaxDelaySeconds, name).toBe(60);
      // no wildcard: an input error must not be retried
      expect(
        retry.flatMap((r) => r.ErrorEquals),
        name,
      ).not.toContain('States.ALL');
      expect(
        retry.flatMap((r) => r.ErrorEquals),
        name,
      ).not.toContain('States.TaskFailed');
    }
  });

  it("guards each task with a timeout just above its function's, so Lambda's own timeout comes first", () => {
    for (const [name, task] of tasks)
      expect(task.TimeoutSeconds, name).toBe(timeoutsByState[name] + TASK_TIMEOUT_MARGIN_SECONDS);
    expect(timeoutsByState.Ingest).toBe(900);
    expect(timeoutsByState.IngestRange).toBe(900);
    expect(timeoutsByState.Validate).toBe(300);
  });
});
