import { pipeline, type Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ContentMeter } from './ContentMeter.ts';
import {
  assertValidKey,
  assertValidPrefix,
  ObjectNotFoundError,
  RangeNotSatisfiableError,
  type ByteRange,
  type DownloadOptions,
  type DownloadPath,
  type ObjectInfo,
  type ObjectListing,
  type ObjectStorage,
  type ObjectStream,
  type StoredObject,
} from './ObjectStorage.ts';

export interface S3StorageOptions {
  bucket: string;
  /** Bytes per part of a multipart upload; S3's minimum, 5 MiB, by default. Memory per upload is about partSize × queueSize. */
  partSize?: number;
  /** Parts uploaded at once. Default 4. */
  queueSize?: number;
  /** Keys per list page and per batch delete (S3 allows at most 1000). Default 1000. */
  pageSize?: number;
}

const MIB = 1024 * 1024;

/**
 * Objects in an S3 bucket (or an S3-compatible server). Uploads stream through lib-storage's `Upload`:
 * one PutObject for small bodies, a multipart upload of `partSize` parts otherwise, so memory stays
 * bounded whatever the object's size. A failed multipart upload is aborted (lib-storage's default);
 * a bucket lifecycle rule that aborts incomplete uploads is still worth having for crashes.
 */
export class S3Storage implements ObjectStorage {
  readonly driver = 's3';
  private readonly bucket: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly pageSize: number;

  constructor(
    private readonly client: S3Client,
    options: S3StorageOptions,
  ) {
    this.bucket = options.bucket;
    this.partSize = options.partSize ?? 5 * MIB;
    this.queueSize = options.queueSize ?? 4;
    this.pageSize = Math.min(options.pageSize ?? 1000, 1000);
  }

  async put(key: string, body: Readable, options: { contentType: string }): Promise<StoredObject> {
    assertValidKey(key);
    const meter = new ContentMeter();
    // The body's own failure is the cause worth reporting: lib-storage reports its abort of the
    // multipart upload instead, and some S3-compatible servers answer that abort with an error.
    let bodyError: Error | undefined;
    const measured = pipeline(body, meter, (error) => {
      if (error) bodyError ??= error;
    });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: measured, ContentType: options.contentType },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      meter.abandon();
      measured.destroy();
      throw bodyError ?? error;
    }
    return { key, size: meter.bytes, sha256: await meter.digest() };
  }

  async get(key: string, options: { range?: ByteRange } = {}): Promise<ObjectStream> {
    assertValidKey(key);
    const range = options.range;
    if (range && range.start > range.end) throw new RangeNotSatisfiableError();
    const res = await this.client
      .send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }))
      .catch((error: unknown) => {
        if (isNotFound(error)) throw new ObjectNotFoundError(key);
        if (statusOf(error) === 416) throw new RangeNotSatisfiableError();
        throw error;
      });
    const served = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.ContentRange ?? '');
    const size = served ? Number(served[3]) : (res.ContentLength ?? 0);
    return {
      key,
      size,
      contentType: res.ContentType ?? 'application/octet-stream',
      lastModified: res.LastModified ?? new Date(0),
      body: res.Body as Readable,
      ...(range && served ? { range: { start: Number(served[1]), end: Number(served[2]) } } : {}),
    };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    assertValidKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        size: res.ContentLength ?? 0,
        contentType: res.ContentType ?? 'application/octet-stream',
        lastModified: res.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /**
   * ListObjects (v1), paged by the last key seen. Not v2: s3rver 3.7 builds v2 continuation tokens
   * with DES, which Node 22's OpenSSL refuses, so every truncated v2 page failed there; S3 and the
   * compatible servers answer v1 the same way.
   */
  async *list(prefix: string): AsyncIterable<ObjectListing> {
    assertValidPrefix(prefix);
    let marker: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsCommand({ Bucket: this.bucket, Prefix: prefix, MaxKeys: this.pageSize, Marker: marker }),
      );
      const objects = page.Contents ?? [];
      for (const object of objects) {
        if (object.Key) yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
      }
      marker = page.IsTruncated ? objects.at(-1)?.Key : undefined;
    } while (marker);
  }

  async deletePrefix(prefix: string): Promise<number> {
    let batch: string[] = [];
    let count = 0;
    const flush = async () => {
      const res = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      const failed = res.Errors ?? [];
      if (failed.length > 0) throw new Error(`S3 refused to delete ${failed.length} objects under ${prefix}: ${failed[0]?.Code}`);
      count += batch.length;
      batch = [];
    };
    for await (const object of this.list(prefix)) {
      batch.push(object.key);
      if (batch.length >= this.pageSize) await flush();
    }
    if (batch.length > 0) await flush();
    return count;
  }

  async download(key: string, options: DownloadOptions): Promise<DownloadPath> {
    assertValidKey(key);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentDisposition: options.contentDisposition,
      ResponseContentType: options.contentType,
    });
    const url = await getSignedUrl(this.client, command, { expiresIn: options.expiresInSeconds });
    return { kind: 'url', url, expiresAt: new Date(Date.now() + options.expiresInSeconds * 1000) };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404;
}
