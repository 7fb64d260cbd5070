import { Readable } from 'node:stream';
import type { Request } from 'express';
import type multer from 'multer';
import { AppError } from '@shared/errors.ts';
import { SNIFF_BYTES, sniffContentType } from './sniffContentType.ts';
import { UploadGuard } from './UploadGuard.ts';
import { UploadStorageError } from './uploadErrors.ts';
import type { UploadSpec } from './UploadSpec.ts';

type FileInfo = Partial<Express.Multer.File>;

/**
 * A multer storage engine that streams each file straight into object storage: it reads the first
 * SNIFF_BYTES to decide the type (415 before anything is stored), puts them back, and pipes the whole
 * file through an UploadGuard (413 past the cap) into `storage.put`, which stores all of it or nothing.
 * The bytes are never buffered whole, the client's content type is never read, and its file name is
 * never a key. Plain stream piping rather than an async generator: feeding `put` through
 * `Readable.from(generator)` cost about three times as much per byte.
 */
export class ObjectStorageEngine implements multer.StorageEngine {
  constructor(private readonly spec: UploadSpec) {}

  _handleFile(req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: FileInfo) => void): void {
    this.store(req, file).then(
      (info) => callback(null, info),
      (error: unknown) => callback(error),
    );
  }

  /** multer calls this for a file that was stored when the request failed afterwards (another part broke the form). */
  _removeFile(_req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    if (!file.storageKey) return callback(null);
    this.spec.storage.delete(file.storageKey).then(
      () => callback(null),
      (error: Error) => callback(error),
    );
  }

  private async store(req: Request, file: Express.Multer.File): Promise<FileInfo> {
    const source = file.stream;
    // busboy destroys the part's stream with the parse error (or the client's abort): that is the
    // cause to report, not whatever the store said once its body failed.
    let sourceError: Error | undefined;
    source.once('error', (error) => (sourceError = error));
    try {
      const { head, isComplete } = await readHead(source, SNIFF_BYTES);
      const sniffed = await sniffContentType(head, isComplete, this.spec.accept);
      const key = this.spec.key(req);
      const guard = new UploadGuard(this.spec.maxBytes, sniffed.isText);
      // pipe, not pipeline: pipeline would destroy busboy's stream with the guard's 413/415, and multer
      // answers a file stream's error at once — before `put` has removed what it wrote. The source's
      // own errors (a client gone, a broken form) still end the upload.
      source.once('error', (error) => guard.destroy(error));
      // The guard can fail (413) before `put` has attached to it — the store awaits its own set-up first,
      // and a cap smaller than the head fails on the first write. Unheard, that error crashed the process;
      // this listener only keeps it heard: `put` still fails with it, as a destroyed stream's stored error.
      guard.on('error', () => {});
      // A source that has ended by now gave all it had to the head (readHead reads what is buffered):
      // the head is the whole file. Putting it back would be an unshift after the end, which loses it —
      // a file just over SNIFF_BYTES that arrived in one piece was stored empty.
      const whole = isComplete || source.readableEnded;
      if (!whole) source.unshift(head);
      const stored = await this.spec.storage.put(key, (whole ? Readable.from([head]) : source).pipe(guard), {
        contentType: sniffed.contentType,
      });
      return { storageKey: key, sha256: stored.sha256, size: stored.size, mimetype: sniffed.contentType };
    } catch (error) {
      if (sourceError) throw sourceError;
      throw error instanceof AppError ? error : new UploadStorageError(error);
    }
  }
}

/**
 * The first `bytes` of a stream (or all of it, `isComplete`, when it is shorter), read in paused mode
 * so the caller can `unshift` them back and pipe the stream whole.
 */
function readHead(stream: Readable, bytes: number): Promise<{ head: Buffer; isComplete: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const settle = (isComplete: boolean) => {
      stream.off('readable', onReadable).off('end', onEnd).off('error', onError);
      resolve({ head: Buffer.concat(chunks, length), isComplete });
    };
    const onReadable = () => {
      for (let chunk: Buffer | null; length < bytes && (chunk = stream.read() as Buffer | null) !== null;) {
        chunks.push(chunk);
        length += chunk.length;
      }
      if (length >= bytes) settle(false);
    };
    const onEnd = () => settle(true);
    const onError = (error: Error) => {
      stream.off('readable', onReadable).off('end', onEnd);
      reject(error);
    };
    stream.on('readable', onReadable).once('end', onEnd).once('error', onError);
  });
}
