import { Transform, type TransformCallback } from 'node:stream';
import { hashingThread, type ThreadHash } from './hashing/HashingThread.ts';

/**
 * Passes bytes through unchanged while counting them and hashing them with SHA-256 (on the hashing
 * thread, off the event loop), so `put` reports the size and digest of exactly what reached the store
 * without a second read.
 */
export class ContentMeter extends Transform {
  private readonly hash: ThreadHash = hashingThread.begin();
  /** Bytes seen so far. Not `size`: lib-storage's Upload takes a body's `size` for its length. */
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A stream that failed is never digested; a finished one was, and dropping it then does nothing.
    if (error) this.hash.drop();
    callback(error);
  }

  /** Forgets the hash of a stream that ended but whose store failed afterwards: it will not be digested. */
  abandon(): void {
    this.hash.drop();
  }

  /** The hex SHA-256 of everything seen; call once, after the stream ended. */
  digest(): Promise<string> {
    return this.hash.digest();
  }
}
