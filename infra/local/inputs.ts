// The files a local run segments: folders expanded to the data files they hold (sorted, hidden
// files skipped) and the dataset name a run takes when none is given.
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';

const INPUT_EXTENSIONS = new Set([
  '.csv',
  '.tsv',
  '.txt',
  '.jsonl',
  '.ndjson',
  '.json',
  '.parquet',
  '.gz',
  '.dat',
  '.psv',
]);

/** Expands files and folders into (path on disk, name within the dataset) pairs. */
export function collectInputs(paths: readonly string[]): { path: string; name: string }[] {
  const out: { path: string; name: string }[] = [];
  for (const p of paths) {
    const st = statSync(p);
    if (st.isDirectory()) {
      const walk = (dir: string): void => {
        for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
          a.name.localeCompare(b.name),
        )) {
          const full = join(dir, entry.name);
          if (entry.isDirectory()) walk(full);
          else if (INPUT_EXTENSIONS.has(extname(entry.name).toLowerCase()) && !entry.name.startsWith('.')) {
            out.push({ path: full, name: relative(p, full).split('\\').join('/') });
          }
        }
      };
      walk(p);
    } else {
      out.push({ path: p, name: basename(p) });
    }
  }
  return out;
}

export function datasetNameFor(paths: readonly string[]): string {
  const first = basename(paths[0] ?? 'dataset')
    .replace(/\.(gz)$/i, '')
    .replace(/\.[^.]+$/, '');
  const clean = first.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return clean || 'dataset';
}
