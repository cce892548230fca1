// A BlobStore over a local folder for the stage benchmarks (test/bench/shard.ts, fit.ts): what a stage
// reads and writes lands in files, so a run is not held in memory and can be resumed stage by stage.
// `links` serve objects from files elsewhere (a large input export read in place, never copied).
import {
  appendFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  type BlobStore,
  type BlobWriter,
  type ListedObject,
  PartWriter,
  type VersionedObject,
} from '../../lib/storage/blob.js';

/** Objects as files under a folder: what a stage reads and writes, without holding the run in memory. */
export class DiskBlobStore implements BlobStore {
  constructor(
    private readonly dir: string,
    /** key → a file outside the folder, served read-only (listed, never deleted) */
    private readonly links: Readonly<Record<string, string>> = {},
  ) {}
  private path(key: string): string {
    return this.links[key] ?? join(this.dir, key);
  }
  async get(key: string): Promise<Uint8Array> {
    if (!existsSync(this.path(key)))
      throw Object.assign(new Error(`no object at ${key}`), { name: 'NoSuchKey' });
    return readFileSync(this.path(key));
  }
  async getIfExists(key: string): Promise<Uint8Array | undefined> {
    return existsSync(this.path(key)) ? readFileSync(this.path(key)) : undefined;
  }
  async stream(key: string): Promise<AsyncIterable<Uint8Array>> {
    return createReadStream(this.path(key), { highWaterMark: 1 << 20 });
  }
  async streamRange(key: string, start: number, end: number): Promise<AsyncIterable<Uint8Array>> {
    if (end <= start) return (async function* () {})();
    return createReadStream(this.path(key), { highWaterMark: 1 << 20, start, end: end - 1 });
  }
  async put(key: string, body: Uint8Array | string): Promise<void> {
    mkdirSync(dirname(this.path(key)), { recursive: true });
    writeFileSync(this.path(key), body);
  }
  async list(prefix: string): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    for (const [key, file] of Object.entries(this.links))
      if (key.startsWith(prefix)) out.push({ key, size: statSync(file).size, etag: '' });
    const walk = (d: string): void => {
      if (!existsSync(d)) return;
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const full = join(d, e.name);
        if (e.isDirectory()) walk(full);
        else {
          const key = relative(this.dir, full).split('\\').join('/');
          if (key.startsWith(prefix)) out.push({ key, size: statSync(full).size, etag: '' });
        }
      }
    };
    walk(join(this.dir, prefix.slice(0, prefix.lastIndexOf('/') + 1)));
    return out.sort((a, b) => (a.key < b.key ? -1 : 1));
  }
  async listLatestVersions(prefix: string): Promise<VersionedObject[]> {
    // files keep no versions: the modification time stands in for S3's LastModified
    return (await this.list(prefix)).map((o) => ({
      ...o,
      lastModifiedMs: statSync(this.path(o.key)).mtimeMs,
    }));
  }
  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) if (!(k in this.links)) rmSync(this.path(k), { force: true });
  }
  async copy(from: string, to: string): Promise<void> {
    await this.put(to, await this.get(from));
  }
  openWrite(key: string): BlobWriter {
    // appended to a side file and renamed at close, so the key shows only a complete object
    const partial = `${this.path(key)}.partial`;
    mkdirSync(dirname(partial), { recursive: true });
    writeFileSync(partial, '');
    return new PartWriter({
      part: async (bytes, last) => {
        appendFileSync(partial, bytes);
        if (last) renameSync(partial, this.path(key));
      },
      abort: async () => rmSync(partial, { force: true }),
    });
  }
}
