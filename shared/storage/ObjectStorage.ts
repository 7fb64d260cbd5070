import type { Readable } from 'node:stream';

/** What `put` stored: the byte count and SHA-256 (hex) of exactly the bytes that reached the store. */
export interface StoredObject {
  key: string;
  size: number;
  sha256: string;
}

/** What the store knows of an object without reading it. */
export interface ObjectInfo {
  key: string;
  size: number;
  contentType: string;
  lastModified: Date;
}

/** One entry of a listing. */
export interface ObjectListing {
  key: string;
  size: number;
  lastModified: Date;
}

/** Bytes `start` to `end`, both included, as HTTP ranges count them. */
export interface ByteRange {
  start: number;
  end: number;
}

/** An object being read: `body` streams the whole object, or `range` of it when one was asked for. */
export interface ObjectStream extends ObjectInfo {
  body: Readable;
  /** The bytes `body` carries, when a range was asked for (its end clamped to the object's last byte). */
  range?: ByteRange;
}

/**
 * How a client fetches an object: a short-lived URL straight to the store (S3), or through this
 * server with `get` (the local driver, which has no URL of its own).
 */
export type DownloadPath = { kind: 'url'; url: string; expiresAt: Date } | { kind: 'proxy' };

export interface DownloadOptions {
  /** How long the URL works. */
  expiresInSeconds: number;
  /** The Content-Disposition the store answers with. */
  contentDisposition?: string;
  /** The Content-Type the store answers with, overriding the stored one. */
  contentType?: string;
}

/**
 * Object storage for bytes that do not belong in the database (attachments, media, backups). Bodies
 * stream in both directions; nothing holds a whole object in memory. Keys are `/`-separated segments
 * of `[A-Za-z0-9._-]` that never start with a dot, so no key can name anything outside the store.
 */
export interface ObjectStorage {
  /** `local` (a directory) or `s3`. */
  readonly driver: 'local' | 's3';
  /**
   * Streams `body` into the object at `key`, replacing any object there. The object appears whole or
   * not at all; when `body` fails (or the store does), `put` rejects with that error, `body` is
   * destroyed and nothing is left behind.
   */
  put(key: string, body: Readable, options: { contentType: string }): Promise<StoredObject>;
  /** Streams an object, or a range of it. Throws ObjectNotFoundError, or RangeNotSatisfiableError for a range past its end. */
  get(key: string, options?: { range?: ByteRange }): Promise<ObjectStream>;
  /** The object's size and type, or undefined when there is none. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Deletes an object; deleting one that is not there is not an error. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix`, in no promised order. */
  list(prefix: string): AsyncIterable<ObjectListing>;
  /** Deletes every object whose key starts with `prefix`; returns how many there were. */
  deletePrefix(prefix: string): Promise<number>;
  /** How a client can download the object directly. */
  download(key: string, options: DownloadOptions): Promise<DownloadPath>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** The object does not exist. */
export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`No object at ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}

/** The requested range starts past the object's last byte. */
export class RangeNotSatisfiableError extends Error {
  /** The object's size, when the driver knows it. */
  constructor(readonly size?: number) {
    super('Range not satisfiable');
    this.name = 'RangeNotSatisfiableError';
  }
}

/** A key or prefix that could name something outside the store, or that one of the drivers could not hold. */
export class InvalidObjectKeyError extends Error {
  constructor(readonly key: string) {
    super(`Invalid object key ${JSON.stringify(key)}`);
    this.name = 'InvalidObjectKeyError';
  }
}

/** Segments never start with a dot: no `.`, `..` or hidden names, and `.tmp`/`.meta` stay the local driver's own. */
const SEGMENT = '[A-Za-z0-9_-][A-Za-z0-9._-]*';
const KEY = new RegExp(`^${SEGMENT}(/${SEGMENT})*$`);
/** A prefix is a key, a key and a slash, or the start of a last segment. */
const PREFIX = new RegExp(`^(${SEGMENT}/)*([A-Za-z0-9_-][A-Za-z0-9._-]*)?$`);
const MAX_KEY_LENGTH = 1024;

/** Throws InvalidObjectKeyError unless `key` is a key every driver stores safely. */
export function assertValidKey(key: string): void {
  if (key.length > MAX_KEY_LENGTH || !KEY.test(key)) throw new InvalidObjectKeyError(key);
}

/** Throws InvalidObjectKeyError unless `prefix` is empty or could begin a valid key. */
export function assertValidPrefix(prefix: string): void {
  if (prefix.length > MAX_KEY_LENGTH || !PREFIX.test(prefix)) throw new InvalidObjectKeyError(prefix);
}
