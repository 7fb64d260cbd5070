import crypto from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ContentMeter } from './ContentMeter.ts';
import {
  assertValidKey,
  assertValidPrefix,
  InvalidObjectKeyError,
  ObjectNotFoundError,
  RangeNotSatisfiableError,
  type ByteRange,
  type DownloadPath,
  type ObjectInfo,
  type ObjectListing,
  type ObjectStorage,
  type ObjectStream,
  type StoredObject,
} from './ObjectStorage.ts';

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/**
 * Objects as files under one directory: `<root>/<key>` holds the bytes, `<root>/.meta/<key>` the
 * content type. Writes go to `<root>/.tmp` and are renamed into place (same file system, so atomic):
 * a reader sees the old object or the new one, and a failed write leaves no file. Keys never start a
 * segment with a dot, so no key reaches `.tmp`, `.meta` or outside the root.
 */
export class LocalStorage implements ObjectStorage {
  readonly driver = 'local';
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Where a write in progress lives until it is renamed into place. */
  get tempDir(): string {
    return path.join(this.root, '.tmp');
  }

  async put(key: string, body: Readable, options: { contentType: string }): Promise<StoredObject> {
    const file = this.fileOf(key);
    const metaFile = this.metaFileOf(key);
    const id = crypto.randomUUID();
    const temp = path.join(this.tempDir, id);
    const tempMeta = path.join(this.tempDir, `${id}.meta`);
    const meter = new ContentMeter();
    try {
      await fs.mkdir(this.tempDir, { recursive: true });
      // flush: the bytes are on disk before the rename publishes them.
      await pipeline(body, meter, createWriteStream(temp, { flags: 'wx', flush: true }));
      await fs.writeFile(tempMeta, JSON.stringify({ contentType: options.contentType }), { flag: 'wx' });
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.mkdir(path.dirname(metaFile), { recursive: true });
      // The metadata first: the data file's rename is the moment the object exists.
      await fs.rename(tempMeta, metaFile);
      await fs.rename(temp, file);
    } catch (error) {
      meter.abandon();
      body.destroy();
      await Promise.all([fs.rm(temp, { force: true }), fs.rm(tempMeta, { force: true })]);
      throw error;
    }
    return { key, size: meter.bytes, sha256: await meter.digest() };
  }

  async get(key: string, options: { range?: ByteRange } = {}): Promise<ObjectStream> {
    const file = this.fileOf(key);
    // Open first, then stat the open file: the size and the bytes are the same object even if a
    // concurrent put or delete replaces the path meanwhile.
    const handle = await fs.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' || error.code === 'EISDIR' ? new ObjectNotFoundError(key) : error;
    });
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new ObjectNotFoundError(key);
      const info = { key, size: stat.size, contentType: await this.contentTypeOf(key), lastModified: stat.mtime };
      const range = options.range && clampRange(options.range, stat.size);
      const body = handle.createReadStream(range ? { start: range.start, end: range.end } : {});
      return { ...info, body, ...(range ? { range } : {}) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const stat = await fs.stat(this.fileOf(key)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!stat?.isFile()) return undefined;
    return { key, size: stat.size, contentType: await this.contentTypeOf(key), lastModified: stat.mtime };
  }

  async delete(key: string): Promise<void> {
    const file = this.fileOf(key);
    const metaFile = this.metaFileOf(key);
    await fs.rm(file, { force: true });
    await fs.rm(metaFile, { force: true });
    await this.removeEmptyParents(path.dirname(file), this.root);
    await this.removeEmptyParents(path.dirname(metaFile), path.join(this.root, '.meta'));
  }

  async *list(prefix: string): AsyncIterable<ObjectListing> {
    assertValidPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    yield* this.walk(slash === -1 ? '' : prefix.slice(0, slash), prefix);
  }

  async deletePrefix(prefix: string): Promise<number> {
    let count = 0;
    for await (const object of this.list(prefix)) {
      await this.delete(object.key);
      count++;
    }
    return count;
  }

  async download(key: string): Promise<DownloadPath> {
    assertValidKey(key);
    return { kind: 'proxy' };
  }

  async close(): Promise<void> {}

  /** Files of the directory `dir` (a key prefix ending at a segment) whose keys start with `prefix`, depth first. */
  private async *walk(dir: string, prefix: string): AsyncIterable<ObjectListing> {
    const entries = await fs.readdir(path.join(this.root, dir), { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
      throw error;
    });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const key = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(key, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const stat = await fs.stat(path.join(this.root, key)).catch(() => undefined);
        if (stat) yield { key, size: stat.size, lastModified: stat.mtime };
      }
    }
  }

  private async contentTypeOf(key: string): Promise<string> {
    try {
      const meta = JSON.parse(await fs.readFile(this.metaFileOf(key), 'utf8')) as { contentType?: unknown };
      return typeof meta.contentType === 'string' ? meta.contentType : DEFAULT_CONTENT_TYPE;
    } catch {
      return DEFAULT_CONTENT_TYPE;
    }
  }

  /** Removes `dir` and its parents while they are empty, stopping at `stopAt`: deleted prefixes leave no directories. */
  private async removeEmptyParents(dir: string, stopAt: string): Promise<void> {
    for (let current = dir; current.startsWith(`${stopAt}${path.sep}`); current = path.dirname(current)) {
      try {
        await fs.rmdir(current);
      } catch {
        return;
      }
    }
  }

  private fileOf(key: string): string {
    return this.inside(this.root, key);
  }

  private metaFileOf(key: string): string {
    return this.inside(path.join(this.root, '.meta'), key);
  }

  /** The path of `key` under `base`; the key pattern already forbids escaping, and this checks it again. */
  private inside(base: string, key: string): string {
    assertValidKey(key);
    const resolved = path.resolve(base, ...key.split('/'));
    if (!resolved.startsWith(`${base}${path.sep}`)) throw new InvalidObjectKeyError(key);
    return resolved;
  }
}

/** The range within an object of `size` bytes, its end clamped to the last byte (as S3 does). */
function clampRange(range: ByteRange, size: number): ByteRange {
  if (range.start >= size || range.start > range.end) throw new RangeNotSatisfiableError(size);
  return { start: range.start, end: Math.min(range.end, size - 1) };
}
