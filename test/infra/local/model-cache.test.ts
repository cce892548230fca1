// The local runner's cache of the synthesized model: a repeated run skips the synth, and an edit to
// anything the synth reads (a source it imports, an installed package, CDK context) makes a new entry.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadLocalModel, MODEL_SOURCES, modelKey, sourceClosure } from '../../../infra/local/model-cache.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'model-cache-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A small project: entry.ts imports ./lib/a.js, which imports ./b.js; other.ts is imported by nobody. */
function project(): { root: string; entry: string; write: (file: string, text: string) => void } {
  const root = join(dir, 'project');
  const write = (file: string, text: string): void => {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  write('entry.ts', "import { a } from './lib/a.js';\nexport const e = a;\n");
  write('lib/a.ts', "export { b as a } from './b.js';\n");
  write('lib/b.ts', 'export const b = 1;\n');
  write('other.ts', 'export const o = 1;\n');
  write('package-lock.json', '{"lockfileVersion":3}');
  return { root, entry: join(root, 'entry.ts'), write };
}

describe('modelKey', () => {
  it('changes when a source the synth imports (transitively) changes, not when an unrelated one does', () => {
    // Prepare
    const { root, entry, write } = project();
    const key = () => modelKey({ root, entries: [entry] });
    const first = key();

    // Act
    write('other.ts', 'export const o = 2;\n');
    const afterUnrelated = key();
    write('lib/b.ts', 'export const b = 2;\n');
    const afterImported = key();

    // Assess
    expect(afterUnrelated).toBe(first);
    expect(afterImported).not.toBe(first);
  });

  it('changes with the installed packages, the CDK context in the environment and the bucket name', () => {
    // Prepare
    const { root, entry, write } = project();
    const key = (bucketName?: string) => modelKey({ root, entries: [entry], bucketName });
    const first = key();

    // Act
    write('package-lock.json', '{"lockfileVersion":3,"packages":{"node_modules/aws-cdk-lib":{}}}');
    const afterLock = key();
    process.env.CDK_CONTEXT_JSON = '{"stage":"prod"}';
    const withContext = key();
    delete process.env.CDK_CONTEXT_JSON;

    // Assess
    expect(afterLock).not.toBe(first);
    expect(withContext).not.toBe(afterLock);
    expect(key()).toBe(afterLock);
    expect(key('another-bucket')).not.toBe(afterLock);
  });

  it('counts an import that does not resolve yet, so the file appearing changes the key', () => {
    // Prepare
    const { root, entry, write } = project();
    write('lib/b.ts', "import './c.js';\nexport const b = 1;\n");
    const before = modelKey({ root, entries: [entry] });

    // Act
    write('lib/c.ts', 'export {};\n');

    // Assess
    expect(modelKey({ root, entries: [entry] })).not.toBe(before);
  });

  it("covers the real synth's sources: the app, the stack, its constructs and what they import from lib/", () => {
    // Act
    const files = sourceClosure(MODEL_SOURCES).map((f) => f.replace(/\\/g, '/'));

    // Assess
    for (const expected of [
      'infra/local/template.ts',
      'infra/local/model-cache.ts',
      'infra/build-app.ts',
      'infra/stack.ts',
      'infra/audience-segmentation.ts',
      'infra/constructs/workflow.ts',
      'infra/constructs/segmentation-function.ts',
      'lib/storage/keys.ts',
    ])
      expect(
        files.some((f) => f.endsWith(expected)),
        expected,
      ).toBe(true);
    expect(files.some((f) => f.includes('/functions/'))).toBe(false);
  });
});

describe('loadLocalModel', () => {
  it('synthesizes on the first run, reads the same model back on the next, and survives a corrupt entry', async () => {
    // Act
    const first = await loadLocalModel({ cacheDir: dir });
    const second = await loadLocalModel({ cacheDir: dir });
    writeFileSync(first.file, '{"trunc');
    const third = await loadLocalModel({ cacheDir: dir });

    // Assess
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.model).toEqual(first.model);
    expect(second.model.taskHandlers.Ingest).toBe('ingest');
    expect(third.cached).toBe(false);
    expect(JSON.parse(readFileSync(first.file, 'utf8'))).toEqual(first.model);
    // one entry, no leftovers of the atomic write
    expect(readdirSync(dir)).toEqual([first.file.slice(dir.length + 1)]);
  });

  it('keeps one entry: a model made from other sources replaces the older one', async () => {
    // Prepare
    const first = await loadLocalModel({ cacheDir: dir });
    writeFileSync(join(dir, 'local-model-0123456789abcdef0123456789abcdef.json'), '{}');

    // Act
    const again = await loadLocalModel({ cacheDir: dir, bucketName: 'another-bucket' });

    // Assess
    expect(again.cached).toBe(false);
    expect(again.model.bucketName).toBe('another-bucket');
    expect(readdirSync(dir)).toEqual([again.file.slice(dir.length + 1)]);
    expect(again.file).not.toBe(first.file);
  });
});
