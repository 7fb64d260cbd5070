import crypto from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes through unchanged while counting them and hashing them with SHA-256, so `put` reports
 * the size and digest of exactly what reached the store without a second read.
 */
export class ContentMeter extends Transform {
  private readonly hash = crypto.createHash('sha256');
  /** Bytes seen so far. Not `size`: lib-storage's Upload takes a body's `size` for its length. */
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** The hex SHA-256 of everything seen; call once, after the stream ended. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}
