import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ContentMeter } from '@shared/storage/ContentMeter.ts';
import type { ObjectStorage, StoredObject } from '@shared/storage/index.ts';

/** How long held bytes wait for their handler; a request that never reaches it (a broken form) drops them then. */
const HOLD_MS = 60_000;

/** An upload received whole: its bytes, and its write to storage, under way or done. */
export interface HeldUpload {
  bytes: Buffer;
  /** Settles when the bytes are in storage (or the write failed); the handler awaits it before recording anything. */
  stored: Promise<void>;
}

/**
 * The analyze route's upload sink: it keeps the bytes in memory for sharp (which needs them whole) and
 * writes them to storage as they arrive, hashing and counting them as storage would. The write is fed,
 * not piped: the socket is never held back on a file write (streaming into storage chunk by chunk with
 * backpressure cost ~20 ms of a 2.6 MiB photo's ~30 ms upload), and it runs during the upload rather
 * than beside the decode, which it slowed by ~10% there (HoldUploadsInMemory, which plugin packages
 * use, held the bytes only, and the handler wrote them). The handler gets the bytes and the write's
 * promise. Uploads are at most IMAGE_MAX_BYTES, and each is held only until its handler takes it.
 */
export class HoldAndStoreUploads implements Pick<ObjectStorage, 'put' | 'delete'> {
  private readonly held = new Map<string, HeldUpload>();

  constructor(private readonly storage: Pick<ObjectStorage, 'put' | 'delete'>) {}

  async put(key: string, body: Readable, options: { contentType: string }): Promise<StoredObject> {
    const chunks: Buffer[] = [];
    const meter = new ContentMeter();
    // Buffers what the disk has not taken yet: the same chunks the array holds, no copies.
    const toStorage = new PassThrough();
    // A write that failed early has destroyed its body; later chunks written to it are dropped, and
    // its error reaches the handler through `stored`.
    toStorage.on('error', () => {});
    const stored = this.storage.put(key, toStorage, options).then(() => undefined);
    // Heard now: a write that fails during the upload is awaited (and answered) by the handler.
    stored.catch(() => {});
    try {
      await pipeline(body, meter, async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) {
          chunks.push(chunk);
          if (!toStorage.destroyed) toStorage.write(chunk);
        }
      });
    } catch (error) {
      // A refused (413) or broken upload: the store removes what it wrote before the refusal is answered.
      toStorage.destroy(error instanceof Error ? error : new Error(String(error)));
      await stored.catch(() => {});
      throw error;
    }
    toStorage.end();
    this.held.set(key, { bytes: Buffer.concat(chunks, meter.bytes), stored });
    setTimeout(() => void this.delete(key).catch(() => {}), HOLD_MS).unref();
    return { key, size: meter.bytes, sha256: meter.sha256() };
  }

  /** What was held for `key` by this request's upload, once; undefined when it is no longer held. */
  take(key: string): HeldUpload | undefined {
    const upload = this.held.get(key);
    this.held.delete(key);
    return upload;
  }

  /**
   * The upload failed after its file was taken in (multer's `_removeFile`), or its handler never took
   * it: drop the bytes and delete what reached storage, once the write has settled. Nothing to do
   * when the handler has taken it: the handler owns it then.
   */
  async delete(key: string): Promise<void> {
    const upload = this.held.get(key);
    if (!upload) return;
    this.held.delete(key);
    await upload.stored.catch(() => {});
    await this.storage.delete(key);
  }
}
