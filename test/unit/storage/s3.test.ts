// S3BlobStore's reading of ListObjectVersions (which s3rver lacks), through aws-sdk-client-mock: the
// latest version of each key, delete markers and noncurrent versions skipped, across pages.
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../../lib/storage/s3.js';

describe('ListObjectVersions (mocked: s3rver has no versions)', () => {
  it('takes the latest version of each key, skipping delete markers and noncurrent versions, across pages', async () => {
    // Prepare
    const s3 = mockClient(S3Client);
    const at = new Date('2026-11-23T06:00:00Z');
    s3.on(ListObjectVersionsCommand, { KeyMarker: undefined })
      .resolves({
        IsTruncated: true,
        NextKeyMarker: 'incoming/shop/b.csv',
        NextVersionIdMarker: 'b1',
        Versions: [
          {
            Key: 'incoming/shop/a.csv',
            VersionId: 'a2',
            IsLatest: true,
            Size: 5,
            ETag: '"ea2"',
            LastModified: at,
          },
          {
            Key: 'incoming/shop/a.csv',
            VersionId: 'a1',
            IsLatest: false,
            Size: 4,
            ETag: '"ea1"',
            LastModified: at,
          },
          {
            Key: 'incoming/shop/b.csv',
            VersionId: 'b1',
            IsLatest: false,
            Size: 3,
            ETag: '"eb1"',
            LastModified: at,
          },
        ],
        // b.csv was deleted: its latest "version" is a delete marker
        DeleteMarkers: [{ Key: 'incoming/shop/b.csv', VersionId: 'b2', IsLatest: true, LastModified: at }],
      })
      .on(ListObjectVersionsCommand, { KeyMarker: 'incoming/shop/b.csv', VersionIdMarker: 'b1' })
      .resolves({
        IsTruncated: false,
        Versions: [
          {
            Key: 'incoming/shop/c.csv',
            VersionId: 'null',
            IsLatest: true,
            Size: 7,
            ETag: '"ec"',
            LastModified: at,
          },
        ],
      });
    const store = new S3BlobStore(new S3Client({ region: 'eu-west-1' }), 'data');
    // Act
    const listed = await store.listLatestVersions('incoming/shop/');
    // Assess: "null" is the version of an object written before versioning was enabled
    expect(listed).toEqual([
      { key: 'incoming/shop/a.csv', versionId: 'a2', size: 5, etag: 'ea2', lastModifiedMs: at.getTime() },
      { key: 'incoming/shop/c.csv', size: 7, etag: 'ec', lastModifiedMs: at.getTime() },
    ]);
    expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(2);
    s3.restore();
  });
});
