import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ContentMeter } from '@shared/storage/ContentMeter.ts';
import type { ObjectStorage, StoredObject } from '@shared/storage/index.ts';

/** How long held bytes wait for their handler; a request that never reaches it (a broken form) drops them then. */
const HOLD_MS = 60_000;

/**
 * The analyze route's upload sink: it takes the bytes in memory (hashing and counting them as storage
 * would) instead of writing them, and the handler stores them while sharp works. Streaming into
 * storage chunk by chunk held the socket back on every file write and cost ~20 ms of a 2.6 MiB photo's
 * ~30 ms upload; now the write runs beside the decoding. Uploads are at most IMAGE_MAX_BYTES (sharp
 * needs them whole anyway), and each is held only until its handler takes it.
 */
export class HoldUploadsInMemory implements Pick<ObjectStorage, 'put' | 'delete'> {
  private readonly held = new Map<string, Buffer>();

  async put(key: string, body: Readable): Promise<StoredObject> {
    const chunks: Buffer[] = [];
    const meter = new ContentMeter();
    await pipeline(body, meter, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) chunks.push(chunk);
    });
    this.held.set(key, Buffer.concat(chunks, meter.bytes));
    setTimeout(() => this.held.delete(key), HOLD_MS).unref();
    return { key, size: meter.bytes, sha256: await meter.digest() };
  }

  /** The bytes held for `key` by this request's upload, once; undefined when they are no longer held. */
  take(key: string): Buffer | undefined {
    const bytes = this.held.get(key);
    this.held.delete(key);
    return bytes;
  }

  /** The upload failed after its file was taken in (multer's `_removeFile`): drop the bytes; nothing reached storage. */
  async delete(key: string): Promise<void> {
    this.held.delete(key);
  }
}
