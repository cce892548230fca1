// The local runner's reading of the synthesized template: what it changes so the embedded
// Step Functions engine behaves like AWS on long runs.
import { describe, expect, it } from 'vitest';
import { type Template as LocalTemplate, localModel } from '../../../infra/local/template.js';
import { allStates, type Definition, functionsByHandler, synthStack } from '../../support/template.js';

describe('local model of the template', () => {
  it('bounds each Lambda attempt by its function timeout, and no task by the States Language 60 s default', () => {
    // Prepare
    const { template } = synthStack();
    const functions = functionsByHandler(template);

    // Act
    const model = localModel(template.toJSON() as LocalTemplate);
    const states = allStates(model.definition as unknown as Definition);

    // Assess
    const tasks = Object.entries(model.taskHandlers);
    expect(tasks.length).toBeGreaterThan(5);
    for (const [state, handler] of tasks) {
      const timeout = Number(functions[handler].resource.Properties.Timeout);
      // the sandbox ends the attempt at the function's timeout (Sandbox.Timedout, as Lambda does);
      // the task's own TimeoutSeconds is a guard one minute later
      expect(model.taskTimeoutSeconds[state], state).toBe(timeout);
      expect(states[state].TimeoutSeconds, state).toBe(timeout + 60);
    }
    expect(model.taskTimeoutSeconds.PublishMembershipsShard).toBe(900);
    expect(model.taskTimeoutSeconds.FinishMemberships).toBe(900);
  });

  it('runs the shards of every Map one at a time: the handlers share one thread, so only memory would grow', () => {
    // Prepare
    const { template } = synthStack();

    // Act
    const model = localModel(template.toJSON() as LocalTemplate);
    const states = allStates(model.definition as unknown as Definition);

    // Assess
    const maps = Object.entries(states).filter(([, s]) => s.Type === 'Map');
    expect(maps.length).toBeGreaterThan(1);
    for (const [name, state] of maps) expect(state.MaxConcurrency, name).toBe(1);
  });
});
