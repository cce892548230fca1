// The local runner's model of the synthesized app, kept on disk between runs: synthesizing the CDK app
// in-process costs ~2 s of every `npm run segment` (loading aws-cdk-lib, building the constructs). The
// entry's name is a hash of everything the model is made from, so an edit anywhere makes a new one.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LocalModel, localModel, synthesizeTemplate, TemplateError } from './template.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where cached models live unless told otherwise; `rm -rf` it (or delete node_modules) to clear. */
export const DEFAULT_MODEL_CACHE_DIR = join(repoRoot, 'node_modules', '.cache', 'audience-segmentation');

const here = fileURLToPath(import.meta.url);
/** The modules the model is made from: the synth (template.ts imports build-app.ts) and this file. */
export const MODEL_SOURCES = [here, join(dirname(here), `template${extname(here)}`)];

/** Bump when the cached file's shape changes. */
const FORMAT = 1;
const PREFIX = 'local-model-';

// relative module specifiers in static imports, re-exports, side-effect imports and import('…')
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/** The file a relative specifier names: TypeScript sources are imported by their `.js` name. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  const target = resolve(dirname(from), specifier);
  const candidates = target.endsWith('.js')
    ? [`${target.slice(0, -3)}.ts`, `${target.slice(0, -3)}.tsx`, target]
    : [target, `${target}.ts`, join(target, 'index.ts')];
  return candidates.find((c) => existsSync(c));
}

/**
 * Every repository source file the given modules load, transitively, through relative imports (package
 * imports are covered by the lock files): the synth's inputs from our side.
 */
export function sourceClosure(entries: readonly string[]): string[] {
  const seen = new Set<string>();
  const stack = [...entries];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!/\.(ts|tsx|js|mjs|cjs)$/.test(file)) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(SPECIFIER)) {
      const next = resolveSpecifier(file, m[1]);
      // an import that resolves to nothing yet still counts: its appearing must change the key
      stack.push(next ?? `${resolve(dirname(file), m[1])}#missing`);
    }
  }
  return [...seen].sort();
}

/**
 * The cache key: the content of every source the synth loads (infra/, what it imports from lib/, this
 * runner's template code), the installed package versions (both lock files: aws-cdk-lib, constructs),
 * the CDK_* environment the App reads (CDK_CONTEXT_JSON…), the bucket name and Node's version.
 */
export function modelKey(
  options: { bucketName?: string; root?: string; entries?: readonly string[] } = {},
): string {
  const root = options.root ?? repoRoot;
  const hash = createHash('sha256');
  const add = (label: string, content: string | Buffer): void => {
    hash.update(`${label}\0${content.length}\0`);
    hash.update(content);
  };
  add('format', String(FORMAT));
  add('node', process.version);
  add('bucket', options.bucketName ?? '');
  for (const file of sourceClosure(options.entries ?? MODEL_SOURCES)) {
    const name = relative(root, file);
    add(`source ${name}`, file.endsWith('#missing') ? 'missing' : readFileSync(file));
  }
  for (const lock of ['package-lock.json', join('node_modules', '.package-lock.json')]) {
    const path = join(root, lock);
    add(`lock ${lock}`, existsSync(path) ? readFileSync(path) : 'none');
  }
  for (const name of Object.keys(process.env)
    .filter((k) => k.startsWith('CDK_'))
    .sort())
    add(`env ${name}`, process.env[name] ?? '');
  return hash.digest('hex').slice(0, 32);
}

/**
 * Checks the definition against the States Language once, when its model is made (a cached model was
 * checked before it was stored), so runs skip aws-local-stepfunctions' per-run check (~0.6 s of ajv).
 */
async function validateDefinition(model: LocalModel): Promise<void> {
  const { StateMachine } = await import('aws-local-stepfunctions');
  try {
    new StateMachine(model.definition as never, { validationOptions: { checkPaths: false } });
  } catch (error) {
    throw new TemplateError((error as Error).message);
  }
}

export interface ModelLoad {
  model: LocalModel;
  /** true: read from the cache; false: synthesized (and stored) now */
  cached: boolean;
  /** the cache entry's file */
  file: string;
}

/**
 * The local model of the app, from the cache when an entry with this key exists, else synthesized and
 * stored (atomically: written aside, then renamed) in place of older entries. A cache that cannot be
 * read or written only costs the synth.
 */
export async function loadLocalModel(
  options: { bucketName?: string; cacheDir?: string } = {},
): Promise<ModelLoad> {
  const dir = options.cacheDir ?? DEFAULT_MODEL_CACHE_DIR;
  const key = modelKey({ bucketName: options.bucketName });
  const file = join(dir, `${PREFIX}${key}.json`);
  try {
    const model = JSON.parse(readFileSync(file, 'utf8')) as LocalModel;
    if (model && typeof model.definition === 'object' && model.taskHandlers)
      return { model, cached: true, file };
  } catch {
    // no entry yet (or an unreadable one): synthesize
  }
  const model = localModel(await synthesizeTemplate(), { bucketName: options.bucketName });
  await validateDefinition(model);
  try {
    mkdirSync(dir, { recursive: true });
    const aside = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(aside, JSON.stringify(model));
    renameSync(aside, file);
    for (const old of readdirSync(dir))
      if (old.startsWith(PREFIX) && old !== `${PREFIX}${key}.json` && !old.endsWith('.tmp'))
        rmSync(join(dir, old), { force: true });
  } catch {
    // a read-only checkout still runs, synthesizing each time
  }
  return { model, cached: false, file };
}
