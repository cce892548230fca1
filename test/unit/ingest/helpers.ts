// Test helpers for the ingest reader: feed bytes in chunks, collect header, copied rows and issues.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Issue } from '../../../lib/ingest/errors.js';
import { type ReadOptions, readTable, type TableInfo } from '../../../lib/ingest/read/index.js';

export interface ReadResult {
  header: string[];
  rows: string[][];
  lines: number[];
  issues: Issue[];
  info: TableInfo;
}

export async function* chunked(bytes: Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, Math.min(bytes.length, i + size));
}

export function bytesOf(input: string | Uint8Array): Uint8Array {
  return typeof input === 'string' ? new TextEncoder().encode(input) : input;
}

/** Reads `input` split into small chunks (so chunk boundaries fall everywhere) and collects the result. */
export async function read(
  input: string | Uint8Array,
  options: Partial<ReadOptions> = {},
  chunkSize = 7,
): Promise<ReadResult> {
  const result: ReadResult = {
    header: [],
    rows: [],
    lines: [],
    issues: [],
    info: undefined as unknown as TableInfo,
  };
  result.info = await readTable(
    chunked(bytesOf(input), chunkSize),
    { file: 'export.csv', ...options },
    {
      header: (names) => {
        result.header = [...names];
      },
      row: (fields, line) => {
        result.rows.push([...fields]);
        result.lines.push(line);
      },
      issue: (issue) => {
        result.issues.push(issue);
      },
    },
  );
  return result;
}

/** The error thrown by `fn`, for asserting code and message. */
export async function caught(fn: () => Promise<unknown> | unknown): Promise<{ name: string; issue: Issue }> {
  try {
    await fn();
  } catch (error) {
    return error as { name: string; issue: Issue };
  }
  throw new Error('expected an error');
}

/** The CDNOW sample from the shared data folder, found from any worktree or clone. */
export function findCdnow(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    for (const candidate of [
      join(dir, 'shared/data/cdnow/CDNOW_sample.txt'),
      join(dir, 'data/cdnow/CDNOW_sample.txt'),
    ]) {
      if (existsSync(candidate)) return candidate;
    }
    const parent = resolve(dir, '..');
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}
