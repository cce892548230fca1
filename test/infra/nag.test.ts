// cdk-nag v3 (AwsSolutions + Serverless packs) and CDK's own CloudFormation validation must report
// nothing unacknowledged; every acknowledgement must sit on one resource, name one finding and
// give a reason that docs/security.md repeats.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
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

/** Synthesizes and returns every unacknowledged finding of the validation report (and the error). */
function synthFindings(target: App, dir: string): { findings: string[]; error: unknown } {
  let error: unknown;
  try {
    target.synth();
  } catch (e) {
    error = e;
  }
  const reportPath = join(dir, 'validation-report.json');
  if (!existsSync(reportPath)) return { findings: [], error };
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
  return {
    error,
    findings: report.pluginReports.flatMap((p) =>
      p.violations.flatMap((v) =>
        v.violatingConstructs.map((c) => `${p.pluginName}: ${v.ruleName} @ ${c.constructPath}`),
      ),
    ),
  };
}

beforeAll(() => {
  // Prepare: nag on, bundling skipped, the assembly in a scratch folder so the report can be read
  outdir = mkdtempSync(join(tmpdir(), 'nag-'));
  // the production configuration switches every optional resource on (email subscription, secrets
  // grant, refresh schedules); the non-production path is nag-checked by cdk-cli.test.ts through the real CLI
  app = new App({
    outdir,
    context: {
      'aws:cdk:bundling-stacks': [],
      stage: 'prod',
      alarmEmail: 'ops@example.com',
      destinationSecretArns: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:meta-AbCdEf',
      schedules: JSON.stringify([
        { dataset: 'shop', expression: 'cron(0 6 ? * MON *)', timezone: 'Europe/Paris' },
        { dataset: 'crm', expression: 'rate(1 day)' },
      ]),
    },
  });
  ({ stack } = buildApp(app, { nag: true }));
  // Act
  ({ findings, error: synthError } = synthFindings(app, outdir));
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('the gate itself', () => {
  it('fails the synth and names the finding when a wildcard action slips in', () => {
    // Prepare: the same packs on a one-role app with a wildcard action
    const dir = mkdtempSync(join(tmpdir(), 'nag-control-'));
    const control = new App({ outdir: dir });
    const role = new Role(new Stack(control, 'Control'), 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    });
    role.addToPolicy(new PolicyStatement({ actions: ['s3:Get*'], resources: ['arn:aws:s3:::example/key'] }));
    Validations.of(control).addPlugins(new AwsSolutionsChecks(control), new ServerlessChecks(control));
    // Act
    const result = synthFindings(control, dir);
    rmSync(dir, { recursive: true, force: true });
    // Assess
    expect(result.error).toBeDefined();
    expect(result.findings).toContain(
      'AwsSolutions: AwsSolutions-IAM5[Action::s3:Get*] @ Control/Role/DefaultPolicy/Resource',
    );
  });
});

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
