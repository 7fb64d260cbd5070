import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ContentMeter } from '@shared/storage/ContentMeter.ts';
import type { ObjectStorage, StoredObject } from '@shared/storage/index.ts';
import { ReceiveBuffers } from './ReceiveBuffers.ts';

/** How long held bytes wait for their handler; a request that never reaches it (a broken form) drops them then. */
const HOLD_MS = 60_000;

/** Idle receive buffers kept: image requests keep a core busy each, so few run at once. */
const BUFFERS_KEPT = 4;

/**
 * Storage is handed the received bytes in slices of at least this much: a 2.6 MiB photo is 3 file
 * writes instead of ~40 socket-sized ones, each of which took a trip through the thread pool and woke
 * the event loop while sharp decoded (per request: ~75 write syscalls and context switches fewer).
 */
const SLICE_BYTES = 1024 * 1024;

/** An upload received whole: its bytes, and its write to storage, under way or done. */
export interface HeldUpload {
  bytes: Buffer;
  /** Settles when the bytes are in storage (or the write failed); the handler awaits it before recording anything. */
  stored: Promise<void>;
  /**
   * Lets the next upload reuse the memory of `bytes`: call it once, when nothing reads them any more
   * (sharp included). Never calling it only costs that reuse.
   */
  release: () => void;
}

/**
 * The analyze route's upload sink: it keeps the bytes in memory for sharp (which needs them whole) and
 * writes them to storage as they arrive, hashing and counting them as storage would. The write is fed,
 * not piped: the socket is never held back on a file write (streaming into storage chunk by chunk with
 * backpressure cost ~20 ms of a 2.6 MiB photo's ~30 ms upload), and it runs during the upload rather
 * than beside the decode, which it slowed by ~10% there (HoldUploadsInMemory, which plugin packages
 * use, held the bytes only, and the handler wrote them). The handler gets the bytes and the write's
 * promise. Uploads are at most IMAGE_MAX_BYTES, and each is held only until its handler takes it.
 *
 * The bytes are copied as they arrive into a reused buffer of `bufferBytes` (ReceiveBuffers says why),
 * and storage is fed views of it (SLICE_BYTES at a time) rather than the socket's chunks, which would
 * otherwise wait for the disk long enough to be promoted too. An upload longer than the buffer goes on
 * in ordinary chunks.
 */
export class HoldAndStoreUploads implements Pick<ObjectStorage, 'put' | 'delete'> {
  private readonly held = new Map<string, HeldUpload>();
  readonly buffers: ReceiveBuffers;

  constructor(
    private readonly storage: Pick<ObjectStorage, 'put' | 'delete'>,
    /** Size of each reused receive buffer: the largest upload analysed within its request (IMAGE_SYNC_BYTES). */
    bufferBytes: number,
  ) {
    this.buffers = new ReceiveBuffers(bufferBytes, BUFFERS_KEPT);
  }

  async put(key: string, body: Readable, options: { contentType: string }): Promise<StoredObject> {
    const buffer = this.buffers.take();
    let filled = 0;
    /** How much of `buffer` storage has been handed. */
    let handed = 0;
    /** What came past the buffer's end, as received. */
    let spilled: Buffer[] | undefined;
    const meter = new ContentMeter();
    // Buffers what the disk has not taken yet: views of `buffer`, no copies.
    const toStorage = new PassThrough();
    const hand = (piece: Buffer) => {
      if (!toStorage.destroyed) toStorage.write(piece);
    };
    const handReceived = () => {
      if (filled > handed) hand(buffer.subarray(handed, filled));
      handed = filled;
    };
    // A write that failed early has destroyed its body; later chunks written to it are dropped, and
    // its error reaches the handler through `stored`.
    toStorage.on('error', () => {});
    const stored = this.storage.put(key, toStorage, options).then(() => undefined);
    // Heard now: a write that fails during the upload is awaited (and answered) by the handler.
    stored.catch(() => {});
    try {
      await pipeline(body, meter, async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) {
          if (!spilled && filled + chunk.length <= buffer.length) {
            filled += chunk.copy(buffer, filled);
            if (filled - handed >= SLICE_BYTES) handReceived();
          } else {
            handReceived();
            (spilled ??= []).push(chunk);
            hand(chunk);
          }
        }
      });
    } catch (error) {
      // A refused (413) or broken upload: the store removes what it wrote before the refusal is answered.
      toStorage.destroy(error instanceof Error ? error : new Error(String(error)));
      await stored.catch(() => {});
      this.buffers.give(buffer);
      throw error;
    }
    handReceived();
    toStorage.end();
    const received = buffer.subarray(0, filled);
    // The buffer is free once the store has written its views and, unless the bytes are a copy, once the handler is done.
    let lenders = spilled ? 1 : 2;
    const giveBack = () => {
      if (--lenders === 0) this.buffers.give(buffer);
    };
    void stored.finally(giveBack).catch(() => {});
    this.held.set(key, {
      bytes: spilled ? Buffer.concat([received, ...spilled], meter.bytes) : received,
      stored,
      release: once(spilled ? () => {} : giveBack),
    });
    setTimeout(() => void this.delete(key).catch(() => {}), HOLD_MS).unref();
    return { key, size: meter.bytes, sha256: await meter.digest() };
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
    upload.release();
    await upload.stored.catch(() => {});
    await this.storage.delete(key);
  }
}

/** `run`, callable any number of times, running once. */
function once(run: () => void): () => void {
  let hasRun = false;
  return () => {
    if (hasRun) return;
    hasRun = true;
    run();
  };
}
