// The storage seam the pipeline stages see: keys in, bytes out. S3 in AWS and locally (s3rver);
// memory in unit tests. Keeps lib/pipeline free of AWS imports.

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
}

/** The current version of an object: what a run must read, and when it last changed. */
export interface VersionedObject extends ListedObject {
  /** absent where the store keeps no versions (the local S3 stand-in) */
  versionId?: string;
  lastModifiedMs: number;
}

export interface BlobStore {
  get(key: string, versionId?: string): Promise<Uint8Array>;
  getIfExists(key: string): Promise<Uint8Array | undefined>;
  stream(key: string, versionId?: string): Promise<AsyncIterable<Uint8Array>>;
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  list(prefix: string): Promise<ListedObject[]>;
  /** current (not deleted) versions under a prefix, by key; a snapshot a run can read exactly */
  listLatestVersions(prefix: string): Promise<VersionedObject[]>;
  delete(keys: readonly string[]): Promise<void>;
  copy(fromKey: string, toKey: string, fromVersionId?: string): Promise<void>;
}

const decoder = new TextDecoder();

export async function getJson<T>(store: BlobStore, key: string): Promise<T> {
  return JSON.parse(decoder.decode(await store.get(key))) as T;
}

export async function getJsonIfExists<T>(store: BlobStore, key: string): Promise<T | undefined> {
  const bytes = await store.getIfExists(key);
  return bytes ? (JSON.parse(decoder.decode(bytes)) as T) : undefined;
}

export async function putJson(store: BlobStore, key: string, value: unknown): Promise<void> {
  await store.put(key, JSON.stringify(value, null, 2), 'application/json');
}

/** In-memory store for unit tests and benchmarks; every put makes a new version, as a versioned bucket does. */
export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, Uint8Array>();
  /** current version id and write time per key */
  readonly versions = new Map<string, { versionId: string; lastModifiedMs: number }>();
  private versionCount = 0;
  /** the store's clock, settable so tests can age objects */
  now: () => number = Date.now;
  /** every version put per key, by version id: noncurrent versions stay readable, as in S3 */
  private readonly history = new Map<string, Map<string, Uint8Array>>();
  async get(key: string, versionId?: string): Promise<Uint8Array> {
    if (versionId !== undefined) {
      const old = this.history.get(key)?.get(versionId);
      if (!old)
        throw Object.assign(new Error(`no version ${versionId} of ${key}`), { name: 'NoSuchVersion' });
      return old;
    }
    const v = this.objects.get(key);
    if (!v) throw Object.assign(new Error(`no object at ${key}`), { name: 'NoSuchKey' });
    return v;
  }
  async getIfExists(key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(key);
  }
  async stream(key: string, versionId?: string): Promise<AsyncIterable<Uint8Array>> {
    const bytes = await this.get(key, versionId);
    return (async function* () {
      for (let i = 0; i < bytes.length; i += 65_536) yield bytes.subarray(i, i + 65_536);
    })();
  }
  async put(key: string, body: Uint8Array | string): Promise<void> {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    this.objects.set(key, bytes);
    this.versionCount += 1;
    const versionId = `v${this.versionCount}`;
    this.versions.set(key, { versionId, lastModifiedMs: this.now() });
    const versions = this.history.get(key) ?? new Map<string, Uint8Array>();
    this.history.set(key, versions.set(versionId, bytes));
  }
  async list(prefix: string): Promise<ListedObject[]> {
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, v]) => ({ key, size: v.byteLength, etag: '' }));
  }
  async listLatestVersions(prefix: string): Promise<VersionedObject[]> {
    return (await this.list(prefix)).map((o) => ({
      ...o,
      ...(this.versions.get(o.key) ?? { lastModifiedMs: 0 }),
    }));
  }
  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) {
      // unlike S3 the versions go too: tests and benchmarks delete run scratch to free memory
      this.objects.delete(k);
      this.versions.delete(k);
      this.history.delete(k);
    }
  }
  async copy(fromKey: string, toKey: string, fromVersionId?: string): Promise<void> {
    await this.put(toKey, await this.get(fromKey, fromVersionId));
  }
}
