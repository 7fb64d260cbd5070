import { Readable } from 'node:stream';
import type { Request } from 'express';
import type multer from 'multer';
import { AppError } from '@shared/errors.ts';
import { SNIFF_BYTES, sniffContentType, TextChecker } from './sniffContentType.ts';
import { payloadTooLarge, unsupportedMediaType, UploadStorageError } from './uploadErrors.ts';
import type { UploadSpec } from './UploadSpec.ts';

type FileInfo = Partial<Express.Multer.File>;

/**
 * A multer storage engine that streams each file straight into object storage: it reads the first
 * SNIFF_BYTES to decide the type (415 before anything is stored), then pipes the rest through a byte
 * counter (413 past the cap) into `storage.put`, which stores all of it or nothing. The bytes are never
 * buffered whole, the client's content type is never read, and its file name is never a key.
 */
export class ObjectStorageEngine implements multer.StorageEngine {
  constructor(private readonly spec: UploadSpec) {}

  _handleFile(req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: FileInfo) => void): void {
    this.store(req, file).then((info) => callback(null, info), (error: unknown) => callback(error));
  }

  /** multer calls this for a file that was stored when the request failed afterwards (another part broke the form). */
  _removeFile(_req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    if (!file.storageKey) return callback(null);
    this.spec.storage.delete(file.storageKey).then(() => callback(null), (error: Error) => callback(error));
  }

  private async store(req: Request, file: Express.Multer.File): Promise<FileInfo> {
    const source = file.stream;
    // busboy destroys the part's stream with the parse error (or the client's abort): that is the
    // cause to report, not whatever the store said once its body failed.
    let sourceError: Error | undefined;
    source.once('error', (error) => (sourceError = error));
    try {
      const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      const head = await readHead(chunks, SNIFF_BYTES);
      const sniffed = await sniffContentType(Buffer.concat(head.chunks), head.isComplete, this.spec.accept);
      const key = this.spec.key(req);
      const body = Readable.from(checkedBody(head.chunks, head.isComplete ? undefined : chunks, this.spec.maxBytes, sniffed.isText));
      const stored = await this.spec.storage.put(key, body, { contentType: sniffed.contentType });
      return { storageKey: key, sha256: stored.sha256, size: stored.size, mimetype: sniffed.contentType };
    } catch (error) {
      if (sourceError) throw sourceError;
      throw error instanceof AppError ? error : new UploadStorageError(error);
    }
  }
}

/** Chunks from the start of the stream until `bytes` are read or it ends. */
async function readHead(chunks: AsyncIterator<Buffer>, bytes: number): Promise<{ chunks: Buffer[]; isComplete: boolean }> {
  const head: Buffer[] = [];
  for (let length = 0; length < bytes; ) {
    const next = await chunks.next();
    if (next.done) return { chunks: head, isComplete: true };
    head.push(next.value);
    length += next.value.length;
  }
  return { chunks: head, isComplete: false };
}

/** The head, then the rest; fails with 413 once past `maxBytes`, and with 415 when a file sniffed as text stops being text. */
async function* checkedBody(head: Buffer[], rest: AsyncIterator<Buffer> | undefined, maxBytes: number, isText: boolean) {
  const text = isText ? new TextChecker() : undefined;
  let total = 0;
  const check = (chunk: Buffer) => {
    total += chunk.length;
    if (total > maxBytes) throw payloadTooLarge(maxBytes);
    if (text && !text.accepts(chunk)) throw unsupportedMediaType('application/octet-stream');
    return chunk;
  };
  for (const chunk of head) yield check(chunk);
  if (rest) {
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield check(next.value);
  }
  if (text && !text.accepts(new Uint8Array(0), true)) throw unsupportedMediaType('application/octet-stream');
}
