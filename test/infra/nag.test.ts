// cdk-nag v3 (AwsSolutions + Serverless packs) and CDK's own CloudFormation validation must report
// nothing unacknowledged; every acknowledgement must sit on one resource, name one finding and
// give a reason that docs/security.md repeats.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app.js';
import type { AudienceSegmentationStack } from '../../infra/stack.js';

interface Report {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}
interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
  resources: number;
}

let outdir: string;
let app: App;
let stack: AudienceSegmentationStack;
let synthError: unknown;
let findings: string[] = [];

const acknowledgements = (root: IConstruct): Acknowledgement[] =>
  root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
          resources: c.node.findAll().filter((x) => CfnResource.isCfnResource(x)).length,
        })),
      ),
  );

beforeAll(() => {
  // Prepare: nag on, bundling skipped, the assembly in a scratch folder so the report can be read
  outdir = mkdtempSync(join(tmpdir(), 'nag-'));
  app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  ({ stack } = buildApp(app, { nag: true }));
  // Act
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  const reportPath = join(outdir, 'validation-report.json');
  if (existsSync(reportPath)) {
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
    findings = report.pluginReports.flatMap((p) =>
      p.violations.flatMap((v) =>
        v.violatingConstructs.map((c) => `${p.pluginName}: ${v.ruleName} @ ${c.constructPath}`),
      ),
    );
  }
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('security review', () => {
  it('has no unacknowledged cdk-nag or CloudFormation validation finding', () => {
    // Assess: the findings list first, so a failure names every one
    expect(findings).toEqual([]);
    expect(synthError).toBeUndefined();
  });

  it('leaves no error or warning annotation on the stack', () => {
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('acknowledges on single resources only, never on the stack or a container', () => {
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(20);
    for (const ack of acks) {
      // a resource construct (an L1, or an L2 with its policy/role children): at most 2 CFN resources
      expect(ack.resources, `${ack.id} on ${ack.path}`).toBeGreaterThan(0);
      expect(ack.resources, `${ack.id} on ${ack.path}`).toBeLessThanOrEqual(2);
      expect(ack.path).not.toBe(stack.node.path);
    }
  });

  it('names one finding per IAM5 acknowledgement and gives every acknowledgement a reason', () => {
    for (const ack of acknowledgements(app)) {
      if (ack.id.includes('IAM5')) expect(ack.id).toMatch(/^AwsSolutions-IAM5\[Resource::.+\]$/);
      expect(ack.reason.length, ack.id).toBeGreaterThan(40);
    }
  });

  it('documents every acknowledged rule in docs/security.md', () => {
    const doc = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
    const rules = new Set(acknowledgements(app).map((a) => a.id.replace(/\[.*$/, '')));
    for (const rule of rules) expect(doc, rule).toContain(rule);
  });
});
