// The CLI as a marketer runs it, spawned: exit codes (0 success, 1 rejected input, 2 usage), stdout
// that is nothing but JSON with --json (also through `npm run segment`), quiet progress on stderr.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallSample } from '../support/local.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Promise<Spawned> {
  return new Promise((done, fail) => {
    // a pipe, not a terminal: the CLI must print quiet lines and no colour
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('npm run segment', () => {
  let dir: string;
  let success: Spawned;
  let rejected: Spawned;
  let usage: Spawned;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cli-e2e-'));
    const small = join(dir, 'small');
    const files = smallSample(600);
    mkdirSync(small);
    writeFileSync(join(small, 'customers.csv'), files.customers);
    writeFileSync(join(small, 'transactions.csv'), files.transactions);
    const headerOnly = join(dir, 'header-only');
    mkdirSync(headerOnly);
    writeFileSync(join(headerOnly, 'transactions.csv'), 'order_id,customer_id,created_at,total\n');
    // the three spawns run side by side: each pays the stand-ins' start-up once
    [success, rejected, usage] = await Promise.all([
      run('npx', ['tsx', 'infra/local/cli.ts', small, '--json', '--out', join(dir, 'out-small')]),
      run('npm', ['run', 'segment', '--', headerOnly, '--json', '--out', join(dir, 'out-rejected')]),
      run('npx', ['tsx', 'infra/local/cli.ts', '--no-such-option']),
    ]);
  }, 240_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 on success with only the run summary as JSON on stdout', () => {
    // Assess
    expect(success.code, success.stderr).toBe(0);
    const summary = JSON.parse(success.stdout) as {
      status: string;
      dataset: string;
      rows: { read: number; accepted: number; rejected: number };
      segments: { name: string; size: number }[];
      outputs: Record<string, string>;
    };
    expect(summary.status).toBe('succeeded');
    expect(summary.dataset).toBe('small');
    expect(summary.rows.read).toBe(summary.rows.accepted + summary.rows.rejected);
    expect(summary.segments.length).toBeGreaterThanOrEqual(2);
    expect(summary.segments.reduce((s, x) => s + x.size, 0)).toBe(600);
    for (const file of Object.values(summary.outputs)) expect(existsSync(file), file).toBe(true);
  });

  it('prints one quiet progress line per stage on stderr when it is not a terminal', () => {
    // Assess
    const lines = success.stderr.split('\n');
    expect(success.stderr).not.toContain('\r');
    expect(success.stderr).not.toContain('\x1b[');
    expect(lines.filter((l) => /✓ Ingest\s/.test(l))).toHaveLength(1);
    expect(success.stderr).toMatch(/✓ IngestRanges\s+[\d.]+ s {2}ranges done (\d+)\/\1/);
    expect(success.stderr).toMatch(
      /✓ MergeIngest\s+[\d.]+ s {2}rows read [\d,]+, accepted [\d,]+, rejected \d+/,
    );
    expect(success.stderr).toMatch(/✓ BuildFeatures\s+[\d.]+ s {2}shards done (\d+)\/\1/);
    expect(success.stderr).toMatch(/✓ Score\s+[\d.]+ s {2}shards done (\d+)\/\1/);
    for (const nested of ['IngestRange', 'BuildFeaturesShard', 'ScoreShard', 'PublishMemberships', 'Done'])
      expect(success.stderr).not.toMatch(new RegExp(`✓ ${nested}\\s`));
    expect(success.stderr).toMatch(/✓ Publish\s/);
    expect(success.stderr).toMatch(/✓ Report\s/);
  });

  it('exits 1 on a rejected input, says why in one sentence and where the error reports are', () => {
    // Assess
    expect(rejected.code, rejected.stderr).toBe(1);
    // npm prints no banner (.npmrc loglevel=silent): stdout parses as JSON as a whole
    const body = JSON.parse(rejected.stdout) as { status: string; error: { name: string; message: string } };
    expect(body.status).toBe('failed');
    expect(body.error.name).toBe('InputRejectedError');
    expect(rejected.stderr).toMatch(/The input was rejected: .*transactions\.csv.*no rows/);
    const where = /Error reports: (.+)\/\n/.exec(rejected.stderr)?.[1];
    expect(where).toBeDefined();
    expect(existsSync(join(resolve(ROOT, where!), 'transactions.csv.errors.json'))).toBe(true);
  });

  it('exits 2 on a usage error, naming the problem and showing the help', () => {
    // Assess
    expect(usage.code).toBe(2);
    expect(usage.stdout).toBe('');
    expect(usage.stderr).toMatch(/^Usage error: Unknown option '--no-such-option'/);
    expect(usage.stderr).toContain('Examples:');
  });

  it('shows the help with examples and exit codes on --help', async () => {
    // Act
    const help = await run('npx', ['tsx', 'infra/local/cli.ts', '--help']);
    // Assess
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('npm run segment -- events/data/sample');
    expect(help.stdout).toContain('--watch');
    expect(help.stdout).toMatch(/Exit codes: 0 success · 1 .* · 2 usage error · 3 internal failure/);
  });
});
