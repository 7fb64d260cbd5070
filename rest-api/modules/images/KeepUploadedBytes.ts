import { Transform, type Readable } from 'node:stream';
import type { ObjectStorage } from '@shared/storage/index.ts';

/** How long kept bytes wait for their handler; a request that never reaches it (a broken form) drops them then. */
const KEEP_MS = 60_000;

/**
 * Object storage for the analyze route's upload that also keeps, for the handler, the bytes it
 * stored: sharp needs the image whole, and reading back what was just written cost ~10 ms a request.
 * Uploads are at most IMAGE_MAX_BYTES, and each is kept only until its handler takes it.
 */
export class KeepUploadedBytes implements ObjectStorage {
  private readonly kept = new Map<string, Buffer>();

  constructor(private readonly storage: ObjectStorage) {}

  get driver() {
    return this.storage.driver;
  }

  async put(key: string, body: Readable, options: { contentType: string }) {
    const chunks: Buffer[] = [];
    // A pass-through stage rather than a 'data' listener on `body`: that would set it flowing before
    // the store reads, and the store would miss the first chunks.
    const recorder = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback(null, chunk);
      },
    });
    body.once('error', (error) => recorder.destroy(error));
    const stored = await this.storage.put(key, body.pipe(recorder), options);
    this.kept.set(key, Buffer.concat(chunks));
    setTimeout(() => this.kept.delete(key), KEEP_MS).unref();
    return stored;
  }

  /** The bytes stored at `key` by this request's upload, once; undefined when they are no longer kept. */
  take(key: string): Buffer | undefined {
    const bytes = this.kept.get(key);
    this.kept.delete(key);
    return bytes;
  }

  get: ObjectStorage['get'] = (key, options) => this.storage.get(key, options);
  head: ObjectStorage['head'] = (key) => this.storage.head(key);
  delete: ObjectStorage['delete'] = (key) => this.storage.delete(key);
  list: ObjectStorage['list'] = (prefix) => this.storage.list(prefix);
  deletePrefix: ObjectStorage['deletePrefix'] = (prefix) => this.storage.deletePrefix(prefix);
  download: ObjectStorage['download'] = (key, options) => this.storage.download(key, options);
  close: ObjectStorage['close'] = () => this.storage.close();
}
