// The storage seam the pipeline stages see: keys in, bytes out. S3 in AWS and locally (s3rver);
// memory in unit tests. Keeps lib/pipeline free of AWS imports.

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
}

export interface BlobStore {
  get(key: string, versionId?: string): Promise<Uint8Array>;
  getIfExists(key: string): Promise<Uint8Array | undefined>;
  stream(key: string, versionId?: string): Promise<AsyncIterable<Uint8Array>>;
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  list(prefix: string): Promise<ListedObject[]>;
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

/** In-memory store for unit tests and benchmarks. */
export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, Uint8Array>();
  async get(key: string): Promise<Uint8Array> {
    const v = this.objects.get(key);
    if (!v) throw Object.assign(new Error(`no object at ${key}`), { name: 'NoSuchKey' });
    return v;
  }
  async getIfExists(key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(key);
  }
  async stream(key: string): Promise<AsyncIterable<Uint8Array>> {
    const bytes = await this.get(key);
    return (async function* () {
      for (let i = 0; i < bytes.length; i += 65_536) yield bytes.subarray(i, i + 65_536);
    })();
  }
  async put(key: string, body: Uint8Array | string): Promise<void> {
    this.objects.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : body);
  }
  async list(prefix: string): Promise<ListedObject[]> {
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, v]) => ({ key, size: v.byteLength, etag: '' }));
  }
  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.objects.delete(k);
  }
  async copy(fromKey: string, toKey: string): Promise<void> {
    this.objects.set(toKey, await this.get(fromKey));
  }
}
