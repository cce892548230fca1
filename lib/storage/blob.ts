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
  /** bytes [start, end) of an object (an HTTP Range read): one Ingest range of a large export */
  streamRange(
    key: string,
    start: number,
    end: number,
    versionId?: string,
  ): Promise<AsyncIterable<Uint8Array>>;
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  list(prefix: string): Promise<ListedObject[]>;
  /** current (not deleted) versions under a prefix, by key; a snapshot a run can read exactly */
  listLatestVersions(prefix: string): Promise<VersionedObject[]>;
  delete(keys: readonly string[]): Promise<void>;
  copy(fromKey: string, toKey: string, fromVersionId?: string): Promise<void>;
  /**
   * An object written piece by piece, so exports larger than a string or an array can reach the store:
   * at most one part (8 MiB unless the store says otherwise) is held in memory at a time.
   */
  openWrite(key: string, contentType?: string): BlobWriter;
}

/** One object being written; nothing is visible at the key until close(), and abort() leaves no object. */
export interface BlobWriter {
  /** text is written as UTF-8 */
  write(chunk: string | Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/** Where a PartWriter sends full parts; the last part may be smaller (S3's minimum is 5 MiB but for the last). */
export interface PartSink {
  /** the bytes are only valid during the call: the writer reuses its buffer */
  part(bytes: Uint8Array, last: boolean): Promise<void>;
  abort(): Promise<void>;
}

export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
/** text held before it is encoded into the part buffer; small against a part */
const PENDING_CHARS = 65_536;

/**
 * Encodes strings into one fixed buffer of partBytes and hands each full part to the sink, so memory stays
 * at one part per open object whatever the object's size. The bytes equal those of the joined strings.
 */
export class PartWriter implements BlobWriter {
  private readonly buffer: Uint8Array;
  private filled = 0;
  private pending: string[] = [];
  private pendingChars = 0;
  private readonly encoder = new TextEncoder();
  private done = false;
  private finished = false;
  /** the most bytes the writer held in its part buffer at once, for tests */
  maxBufferedBytes = 0;

  constructor(
    private readonly sink: PartSink,
    readonly partBytes = DEFAULT_PART_BYTES,
  ) {
    this.buffer = new Uint8Array(partBytes);
  }

  async write(chunk: string | Uint8Array): Promise<void> {
    if (typeof chunk === 'string') {
      this.pending.push(chunk);
      this.pendingChars += chunk.length;
      if (this.pendingChars < PENDING_CHARS) return;
    }
    try {
      await this.encodePending();
      if (typeof chunk !== 'string') await this.copyBytes(chunk);
    } catch (error) {
      // a failed part must not leave an upload open (S3 bills its parts until aborted)
      await this.abort();
      throw error;
    }
  }

  private async encodePending(): Promise<void> {
    let text = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    while (text.length > 0) {
      const { read, written } = this.encoder.encodeInto(text, this.buffer.subarray(this.filled));
      this.filled += written;
      this.maxBufferedBytes = Math.max(this.maxBufferedBytes, this.filled);
      text = text.slice(read);
      // a full buffer, or one that cannot take the next character (up to 4 bytes in UTF-8)
      if (text.length > 0 || this.filled === this.partBytes) {
        if (this.filled === 0) throw new Error('part size too small for one character');
        await this.sink.part(this.buffer.subarray(0, this.filled), false);
        this.filled = 0;
      }
    }
  }

  private async copyBytes(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.byteLength; ) {
      const n = Math.min(bytes.byteLength - at, this.partBytes - this.filled);
      this.buffer.set(bytes.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      this.maxBufferedBytes = Math.max(this.maxBufferedBytes, this.filled);
      if (this.filled === this.partBytes) {
        await this.sink.part(this.buffer, false);
        this.filled = 0;
      }
    }
  }

  async close(): Promise<void> {
    if (this.done) return;
    try {
      await this.encodePending();
      this.done = true;
      await this.sink.part(this.buffer.subarray(0, this.filled), true);
      this.finished = true;
    } catch (error) {
      await this.abort();
      throw error;
    }
  }

  /** a no-op once the object is complete or already aborted */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.done = true;
    this.pending = [];
    await this.sink.abort();
  }
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
/** Bytes held in memory, handed out in 64 KiB chunks as a network body would be. */
async function* chunksOf(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += 65_536) yield bytes.subarray(i, i + 65_536);
}

export class MemoryBlobStore implements BlobStore {
  /** part size of openWrite; tests set it small to see parts */
  partBytes = DEFAULT_PART_BYTES;
  /** the largest part any openWrite handed on, for tests */
  maxPartBytes = 0;
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
    return chunksOf(await this.get(key, versionId));
  }
  async streamRange(
    key: string,
    start: number,
    end: number,
    versionId?: string,
  ): Promise<AsyncIterable<Uint8Array>> {
    return chunksOf((await this.get(key, versionId)).subarray(start, end));
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
  openWrite(key: string): BlobWriter {
    // parts are kept (copied) until close, as S3 keeps uploaded parts until CompleteMultipartUpload
    let parts: Uint8Array[] = [];
    return new PartWriter(
      {
        part: async (bytes, last) => {
          this.maxPartBytes = Math.max(this.maxPartBytes, bytes.byteLength);
          parts.push(bytes.slice());
          if (!last) return;
          const whole = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
          let at = 0;
          for (const p of parts) {
            whole.set(p, at);
            at += p.byteLength;
          }
          parts = [];
          await this.put(key, whole);
        },
        abort: async () => {
          parts = [];
        },
      },
      this.partBytes,
    );
  }
}
