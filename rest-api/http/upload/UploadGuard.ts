import { Transform, type TransformCallback } from 'node:stream';
import { TextChecker } from './sniffContentType.ts';
import { payloadTooLarge, unsupportedMediaType } from './uploadErrors.ts';

/**
 * Passes an upload's bytes on to storage while holding it to what was decided at its start: it fails
 * with 413 once past `maxBytes`, and — for a file sniffed as text — with 415 when the bytes stop being
 * UTF-8 text. Failing destroys the pipeline, so the store keeps nothing.
 */
export class UploadGuard extends Transform {
  private total = 0;
  private readonly text: TextChecker | undefined;

  constructor(
    private readonly maxBytes: number,
    isText: boolean,
  ) {
    super();
    this.text = isText ? new TextChecker() : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.total += chunk.length;
    if (this.total > this.maxBytes) return callback(payloadTooLarge(this.maxBytes));
    if (this.text && !this.text.accepts(chunk)) return callback(unsupportedMediaType('application/octet-stream'));
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.text && !this.text.accepts(new Uint8Array(0), true)) return callback(unsupportedMediaType('application/octet-stream'));
    callback();
  }
}
