// BlobStore over S3 (and s3rver locally). Takes its client and bucket as arguments.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  type BlobStore,
  type BlobWriter,
  DEFAULT_PART_BYTES,
  type ListedObject,
  PartWriter,
  type VersionedObject,
} from './blob.js';

const isMissing = (error: unknown): boolean => {
  const name = (error as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound';
};

export class S3BlobStore implements BlobStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    /** multipart part size of openWrite; S3 wants at least 5 MiB for every part but the last */
    readonly partBytes = DEFAULT_PART_BYTES,
  ) {}

  async get(key: string, versionId?: string): Promise<Uint8Array> {
    const res = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }),
    );
    if (!res.Body) throw new Error(`s3://${this.bucket}/${key} has no body`);
    return res.Body.transformToByteArray();
  }

  async getIfExists(key: string): Promise<Uint8Array | undefined> {
    try {
      return await this.get(key);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async stream(key: string, versionId?: string): Promise<AsyncIterable<Uint8Array>> {
    const res = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }),
    );
    if (!res.Body) throw new Error(`s3://${this.bucket}/${key} has no body`);
    return res.Body as AsyncIterable<Uint8Array>;
  }

  async streamRange(
    key: string,
    start: number,
    end: number,
    versionId?: string,
  ): Promise<AsyncIterable<Uint8Array>> {
    if (end <= start) return (async function* () {})();
    const res = await this.s3.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        VersionId: versionId,
        Range: `bytes=${start}-${end - 1}`,
      }),
    );
    if (!res.Body) throw new Error(`s3://${this.bucket}/${key} has no body`);
    const expected = end - start;
    if (res.ContentLength !== undefined && res.ContentLength !== expected)
      throw new Error(
        `s3://${this.bucket}/${key}: asked for bytes ${start}-${end - 1}, got ${res.ContentLength} bytes (the object changed, or the store ignored Range)`,
      );
    return res.Body as AsyncIterable<Uint8Array>;
  }

  async put(key: string, body: Uint8Array | string, contentType = 'application/octet-stream'): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async list(prefix: string): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    let token: string | undefined;
    do {
      const res = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) {
        if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0, etag: (o.ETag ?? '').replaceAll('"', '') });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /**
   * The current version of every object under a prefix (ListObjectVersions, delete markers and
   * noncurrent versions left out), so a run reads exactly the versions its snapshot names. s3rver
   * 3.7.1 keeps no versions and answers ListObjectVersions with MethodNotAllowed: there the listing
   * falls back to ListObjectsV2 and objects carry no versionId (reads get the current object).
   */
  async listLatestVersions(prefix: string): Promise<VersionedObject[]> {
    const out: VersionedObject[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    try {
      do {
        const res = await this.s3.send(
          new ListObjectVersionsCommand({
            Bucket: this.bucket,
            Prefix: prefix,
            KeyMarker: keyMarker,
            VersionIdMarker: versionIdMarker,
          }),
        );
        for (const v of res.Versions ?? []) {
          if (!v.Key || !v.IsLatest) continue;
          out.push({
            key: v.Key,
            size: v.Size ?? 0,
            etag: (v.ETag ?? '').replaceAll('"', ''),
            // an object written before versioning was enabled has the version id "null"
            ...(v.VersionId && v.VersionId !== 'null' ? { versionId: v.VersionId } : {}),
            lastModifiedMs: v.LastModified?.getTime() ?? 0,
          });
        }
        keyMarker = res.IsTruncated ? res.NextKeyMarker : undefined;
        versionIdMarker = res.IsTruncated ? res.NextVersionIdMarker : undefined;
      } while (keyMarker);
    } catch (error) {
      if ((error as { name?: string }).name !== 'MethodNotAllowed') throw error;
      return this.listWithTimes(prefix);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private async listWithTimes(prefix: string): Promise<VersionedObject[]> {
    const out: VersionedObject[] = [];
    let token: string | undefined;
    do {
      const res = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) {
        if (!o.Key) continue;
        out.push({
          key: o.Key,
          size: o.Size ?? 0,
          etag: (o.ETag ?? '').replaceAll('"', ''),
          lastModifiedMs: o.LastModified?.getTime() ?? 0,
        });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
  }

  async copy(fromKey: string, toKey: string, fromVersionId?: string): Promise<void> {
    const source = `${this.bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`;
    await this.s3.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: toKey,
        CopySource: fromVersionId ? `${source}?versionId=${encodeURIComponent(fromVersionId)}` : source,
      }),
    );
  }

  /**
   * An object up to one part goes up as a single PutObject; a larger one as a multipart upload, started
   * at the first full part and aborted on any failure so no partial object or billed parts remain.
   */
  openWrite(key: string, contentType = 'application/octet-stream'): BlobWriter {
    let uploadId: string | undefined;
    const parts: { ETag: string | undefined; PartNumber: number }[] = [];
    const upload = async (bytes: Uint8Array): Promise<void> => {
      if (!uploadId) {
        const created = await this.s3.send(
          new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }),
        );
        uploadId = created.UploadId;
      }
      const PartNumber = parts.length + 1;
      const res = await this.s3.send(
        new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber, Body: bytes }),
      );
      parts.push({ ETag: res.ETag, PartNumber });
    };
    return new PartWriter(
      {
        part: async (bytes, last) => {
          if (last && !uploadId) return this.put(key, bytes, contentType);
          if (bytes.byteLength > 0 || !last) await upload(bytes);
          if (!last) return;
          await this.s3.send(
            new CompleteMultipartUploadCommand({
              Bucket: this.bucket,
              Key: key,
              UploadId: uploadId,
              MultipartUpload: { Parts: parts },
            }),
          );
        },
        abort: async () => {
          if (!uploadId) return;
          try {
            await this.s3.send(
              new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
            );
          } catch (error) {
            // s3rver 3.7.1 has no AbortMultipartUpload (MethodNotAllowed): its parts are never an object.
            // In AWS the bucket's lifecycle rule removes incomplete uploads after a day if this fails.
            if ((error as { name?: string }).name !== 'MethodNotAllowed') throw error;
          }
        },
      },
      this.partBytes,
    );
  }
}
