import crypto from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import type { Knex } from 'knex';
import { ObjectNotFoundError, type ObjectStorage } from '../storage/ObjectStorage.ts';

/** One object a backup covers: where it lives in storage, and exactly which bytes. */
export interface MediaEntry {
  key: string;
  size: number;
  sha256: string;
}

/**
 * The attachments and media a backup covers. The database holds their keys; the bytes stay in object storage, so
 * a backup of the database alone restores rows that point at nothing once an object is lost.
 */
export interface MediaManifest {
  objects: MediaEntry[];
  /** Keys the database referenced that storage did not hold when the backup was made. */
  missing: string[];
  /** Sum of the objects' sizes. */
  bytes: number;
  /**
   * Set when a backup target store is configured: every object was copied there under `copyKeyOf(sha256)`
   * (content-addressed, so an object already copied by an earlier backup is skipped, and renames cost nothing).
   */
  copy?: { copied: number; skipped: number; bytesCopied: number };
}

/** What a manifest's check found: every entry present with the same SHA-256, or which were not. */
export type MediaCheck =
  | { ok: true; checked: number }
  | { ok: false; code: 'backup_media_missing' | 'backup_media_mismatch'; reason: string; missing: string[]; mismatched: string[] };

/** Where a copied object lives in the backup target store: by its SHA-256. */
export const copyKeyOf = (sha256: string) => `media/sha256/${sha256}`;

/**
 * Every storage key the database references: attachments, voice clips kept for transcription, analysed images and
 * their thumbnails. Sorted, each once.
 */
export async function listMediaKeys(db: Knex): Promise<string[]> {
  const rows = (await db
    .select({ key: 'storage_key' })
    .from('attachments')
    .union([
      db.select({ key: 'storage_key' }).from('voice_transcriptions').whereNotNull('storage_key'),
      db.select({ key: 'storage_key' }).from('image_analyses'),
      db.select({ key: 'thumbnail_key' }).from('image_analyses').whereNotNull('thumbnail_key'),
    ])) as Array<{ key: string }>;
  return rows.map((row) => row.key).sort();
}

/** The object's size and SHA-256, read through; undefined when storage has no such object. */
export async function hashObject(storage: ObjectStorage, key: string): Promise<{ size: number; sha256: string } | undefined> {
  let stream;
  try {
    stream = await storage.get(key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
  const hash = crypto.createHash('sha256');
  let size = 0;
  await pipeline(
    stream.body,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        size += chunk.length;
        callback();
      },
    }),
  );
  return { size, sha256: hash.digest('hex') };
}

/**
 * Lists and hashes every object the database references, and copies each to `copyTo` when given (skipping those
 * already there with the same hash: the copy is incremental across backups). A copy that stores other bytes than
 * were hashed throws: the object changed under the backup, or the target is broken.
 */
export async function buildMediaManifest(
  db: Knex,
  storage: ObjectStorage,
  options: { copyTo?: ObjectStorage } = {},
): Promise<MediaManifest> {
  const manifest: MediaManifest = { objects: [], missing: [], bytes: 0 };
  const copy = { copied: 0, skipped: 0, bytesCopied: 0 };
  for (const key of await listMediaKeys(db)) {
    const hashed = await hashObject(storage, key);
    if (!hashed) {
      manifest.missing.push(key);
      continue;
    }
    manifest.objects.push({ key, ...hashed });
    manifest.bytes += hashed.size;
    if (!options.copyTo) continue;
    const copyKey = copyKeyOf(hashed.sha256);
    const existing = await options.copyTo.head(copyKey);
    if (existing?.size === hashed.size) {
      copy.skipped += 1;
      continue;
    }
    const source = await storage.get(key);
    const stored = await options.copyTo.put(copyKey, source.body, { contentType: source.contentType });
    if (stored.sha256 !== hashed.sha256) {
      await options.copyTo.delete(copyKey);
      throw new Error(`The object ${key} changed while it was copied to the backup store`);
    }
    copy.copied += 1;
    copy.bytesCopied += stored.size;
  }
  if (options.copyTo) manifest.copy = copy;
  return manifest;
}

/** Names a few keys, and how many more: a reason stays readable with thousands missing. */
function someKeys(keys: string[]): string {
  return keys.length > 5 ? `${keys.slice(0, 5).join(', ')} and ${keys.length - 5} more` : keys.join(', ');
}

/**
 * Checks every manifest entry against a store: present, with the same SHA-256. `copies` checks the backup target's
 * content-addressed copies; otherwise the objects under their own keys. Keys already missing when the backup was
 * made fail the check too: the backup set is incomplete.
 */
export async function checkMediaManifest(
  manifest: MediaManifest,
  storage: ObjectStorage,
  options: { copies: boolean },
): Promise<MediaCheck> {
  const missing = [...manifest.missing];
  const mismatched: string[] = [];
  for (const entry of manifest.objects) {
    const hashed = await hashObject(storage, options.copies ? copyKeyOf(entry.sha256) : entry.key);
    if (!hashed) missing.push(entry.key);
    else if (hashed.sha256 !== entry.sha256 || hashed.size !== entry.size) mismatched.push(entry.key);
  }
  if (missing.length === 0 && mismatched.length === 0) return { ok: true, checked: manifest.objects.length };
  const where = options.copies ? 'in the backup store' : 'in storage';
  const reasons = [
    ...(missing.length > 0 ? [`${missing.length} media object(s) missing ${where}: ${someKeys(missing)}`] : []),
    ...(mismatched.length > 0
      ? [`${mismatched.length} media object(s) with other bytes than recorded ${where}: ${someKeys(mismatched)}`]
      : []),
  ];
  return {
    ok: false,
    code: missing.length > 0 ? 'backup_media_missing' : 'backup_media_mismatch',
    reason: reasons.join('; '),
    missing,
    mismatched,
  };
}

/** The manifest's keys that storage does not hold (by `head`: cheap enough to run after every restore). */
export async function findMissingMedia(manifest: MediaManifest, storage: ObjectStorage): Promise<string[]> {
  const missing: string[] = [];
  for (const entry of manifest.objects) {
    if (!(await storage.head(entry.key))) missing.push(entry.key);
  }
  return [...manifest.missing, ...missing];
}
