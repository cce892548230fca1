// Shared by integration and e2e tests: one local environment (stand-ins + synthesized workflow)
// per test file, and small readers for what a run wrote.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type LocalEnvironment, startLocalEnvironment } from '../../infra/local/environment.js';

export async function localEnvironment(): Promise<LocalEnvironment> {
  return startLocalEnvironment();
}

export async function readText(env: LocalEnvironment, key: string): Promise<string> {
  return new TextDecoder().decode(await env.store.get(key));
}

/** Parses a simple CSV (no quoted newlines) into header-keyed records. */
export function parseCsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(cols.map((c, i) => [c, cells[i]]));
  });
}

export function plantedArchetypes(path = 'events/data/sample-archetypes.csv'): Map<string, string> {
  return new Map(parseCsv(readFileSync(path, 'utf8')).map((r) => [r.customer_id, r.archetype]));
}

/** The first `customers` customers of the committed sample and their orders: enough to segment, quick to publish. */
export function smallSample(customers: number): { customers: string; transactions: string } {
  const sample = resolve(import.meta.dirname, '../../events/data/sample');
  const [custHead, ...custRows] = readFileSync(join(sample, 'customers.csv'), 'utf8').trim().split('\n');
  const kept = custRows.slice(0, customers);
  const ids = new Set(kept.map((r) => r.split(',')[0]));
  const [txHead, ...txRows] = readFileSync(join(sample, 'transactions.csv'), 'utf8').trim().split('\n');
  return {
    customers: [custHead, ...kept].join('\n'),
    transactions: [txHead, ...txRows.filter((r) => ids.has(r.split(',')[1]))].join('\n'),
  };
}
