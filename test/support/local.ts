// Shared by integration and e2e tests: one local environment (stand-ins + synthesized workflow)
// per test file, and small readers for what a run wrote.
import { readFileSync } from 'node:fs';
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
