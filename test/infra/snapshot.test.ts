// One snapshot of the whole template, asset hashes scrubbed, to make every infra change visible in
// review. Fine-grained behaviour lives in stack.test.ts; this only catches unintended drift.
import { expect, it } from 'vitest';
import { synthStack } from '../support/template.js';

it('matches the reviewed template (asset hashes scrubbed)', () => {
  // Prepare + Act
  const { template } = synthStack({ stage: 'dev' });
  const text = JSON.stringify(template.toJSON(), null, 1).replace(/[0-9a-f]{64}/g, '<asset-hash>');
  // Assess
  expect(JSON.parse(text)).toMatchSnapshot();
});
