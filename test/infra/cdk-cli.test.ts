// `npx cdk synth` through the real CDK CLI: cdk.json's app command, context flags, nag as a
// validation plugin, and esbuild bundling of every function (no Docker). Slow on purpose: one run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HANDLER_METADATA } from '../../infra/constructs/segmentation-function.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let outdir: string;
let result: ReturnType<typeof spawnSync>;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'cdk-cli-'));
  // Act
  result = spawnSync('npx', ['cdk', 'synth', '--quiet', '-c', 'stage=test', '-o', outdir], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 175_000,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true' },
  });
}, 180_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

it('synthesizes the test stage and bundles every function into an index.mjs', () => {
  // Assess
  expect(result.status, String(result.stderr).slice(-4000)).toBe(0);
  const templatePath = join(outdir, 'AudienceSegmentation-test.template.json');
  expect(existsSync(templatePath)).toBe(true);
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
    Resources: Record<
      string,
      { Type: string; Properties: { Code?: { S3Key?: string } }; Metadata?: Record<string, string> }
    >;
  };
  const functions = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.[HANDLER_METADATA],
  );
  expect(functions).toHaveLength(14);
  for (const fn of functions) {
    const hash = String(fn.Properties.Code?.S3Key).replace(/\.zip$/, '');
    const bundle = join(outdir, `asset.${hash}`, 'index.mjs');
    expect(existsSync(bundle), `${fn.Metadata?.[HANDLER_METADATA]}: ${bundle}`).toBe(true);
  }
}, 180_000);
