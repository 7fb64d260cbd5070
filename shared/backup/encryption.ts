import crypto from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BackupIntegrityError } from './errors.ts';

/**
 * Backup encryption: AES-256-GCM in authenticated chunks, after the STREAM construction (Hoang, Reyhanitabar,
 * Rogaway, Vizár 2015), so a stream of any length is encrypted and decrypted in bounded memory and a reader never
 * emits a byte that has not been authenticated.
 *
 * Layout: a 57-byte header, then chunks of `chunkSize` plaintext bytes, each sealed with its own 16-byte tag.
 *
 *   magic "TMCB" (4) · version (1) · reserved 0 (1) · chunkSize u32 BE (4) · salt (16) · nonce prefix (7)
 *   · key check (16) · header digest (8, the first 8 bytes of SHA-256 over everything before it)
 *
 * - Each backup gets its own data key, HKDF-SHA256(BACKUP_ENCRYPTION_KEY, salt): nonces can never repeat across
 *   backups under one data key, however many backups one key makes.
 * - Chunk nonce = nonce prefix (7) · chunk counter u32 BE (4) · last-chunk flag (1). Reordered, dropped or
 *   duplicated chunks fail their tag; a stream cut at a chunk boundary fails because the chunk read as last was
 *   sealed as not-last. Every chunk authenticates the header as associated data.
 * - The key check (another HKDF output from the same salt) tells a wrong key (`backup_key_mismatch`) apart from
 *   damaged bytes (`backup_corrupt`) before any chunk is tried; the header digest keeps a damaged salt from being
 *   reported as a wrong key.
 */

const MAGIC = Buffer.from('TMCB');
const VERSION = 1;
const HEADER_BYTES = 57;
const TAG_BYTES = 16;
const NONCE_PREFIX_BYTES = 7;
const MAX_CHUNKS = 2 ** 32;
/** 64 KiB: large enough that the 16-byte tags cost 0.02 %, small enough that a bad byte is caught early. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** Accepted chunk sizes when reading: a damaged header must not make the reader buffer gigabytes. */
const MIN_CHUNK_BYTES = 1024;
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

/** Bytes a backup key must have (AES-256). */
export const BACKUP_KEY_BYTES = 32;

function deriveKeys(masterKey: Buffer, salt: Buffer): { dataKey: Buffer; keyCheck: Buffer } {
  if (masterKey.length !== BACKUP_KEY_BYTES) throw new RangeError(`A backup key has ${BACKUP_KEY_BYTES} bytes`);
  const derive = (info: string, length: number) => Buffer.from(crypto.hkdfSync('sha256', masterKey, salt, info, length));
  return { dataKey: derive('twinmcp backup v1 data key', 32), keyCheck: derive('twinmcp backup v1 key check', 16) };
}

function headerDigest(headerWithoutDigest: Buffer): Buffer {
  return crypto.createHash('sha256').update(headerWithoutDigest).digest().subarray(0, 8);
}

function chunkNonce(prefix: Buffer, counter: number, isLast: boolean): Buffer {
  if (counter >= MAX_CHUNKS) throw new RangeError('Backup too large for one encrypted stream');
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(counter, NONCE_PREFIX_BYTES);
  nonce[11] = isLast ? 1 : 0;
  return nonce;
}

/** A Transform that encrypts what flows through it with `key` (32 bytes). */
export function createEncryptStream(key: Buffer, options: { chunkBytes?: number } = {}): Transform {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES)
    throw new RangeError(`A chunk holds ${MIN_CHUNK_BYTES} to ${MAX_CHUNK_BYTES} bytes`);
  const salt = crypto.randomBytes(16);
  const noncePrefix = crypto.randomBytes(NONCE_PREFIX_BYTES);
  const { dataKey, keyCheck } = deriveKeys(key, salt);
  const head = Buffer.alloc(HEADER_BYTES - 8);
  MAGIC.copy(head, 0);
  head[4] = VERSION;
  head.writeUInt32BE(chunkBytes, 6);
  salt.copy(head, 10);
  noncePrefix.copy(head, 26);
  keyCheck.copy(head, 33);
  const header = Buffer.concat([head, headerDigest(head)]);

  let counter = 0;
  let pending: Buffer = Buffer.alloc(0);
  const seal = (plain: Buffer, isLast: boolean): Buffer => {
    const cipher = crypto.createCipheriv('aes-256-gcm', dataKey, chunkNonce(noncePrefix, counter++, isLast));
    cipher.setAAD(header);
    return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  };
  let isHeaderSent = false;
  const sendHeader = (stream: Transform) => {
    if (!isHeaderSent) stream.push(header);
    isHeaderSent = true;
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      sendHeader(this);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      // A chunk is sealed as not-last only when at least one byte follows it; the rest waits for flush.
      let offset = 0;
      try {
        while (pending.length - offset > chunkBytes) {
          this.push(seal(pending.subarray(offset, offset + chunkBytes), false));
          offset += chunkBytes;
        }
      } catch (error) {
        return callback(error as Error);
      }
      pending = pending.subarray(offset);
      callback();
    },
    flush(callback: TransformCallback) {
      sendHeader(this);
      try {
        callback(null, seal(pending, true));
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** Reads the header of an encrypted stream; throws BackupIntegrityError when it is not one, or not for `key`. */
function openHeader(header: Buffer, key: Buffer): { dataKey: Buffer; noncePrefix: Buffer; chunkBytes: number } {
  const corrupt = (why: string) => new BackupIntegrityError('backup_corrupt', `The backup is damaged: ${why}`);
  if (!header.subarray(0, 4).equals(MAGIC)) throw corrupt('it does not start as an encrypted backup');
  if (!headerDigest(header.subarray(0, HEADER_BYTES - 8)).equals(header.subarray(HEADER_BYTES - 8))) throw corrupt('its header changed');
  if (header[4] !== VERSION) throw corrupt(`unknown format version ${header[4]}`);
  const chunkBytes = header.readUInt32BE(6);
  if (chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) throw corrupt(`impossible chunk size ${chunkBytes}`);
  const { dataKey, keyCheck } = deriveKeys(key, header.subarray(10, 26));
  if (!crypto.timingSafeEqual(keyCheck, header.subarray(33, 49))) {
    throw new BackupIntegrityError('backup_key_mismatch', 'The backup was encrypted with another key than BACKUP_ENCRYPTION_KEY');
  }
  return { dataKey, noncePrefix: header.subarray(26, 33), chunkBytes };
}

/**
 * A Transform that decrypts a stream made by createEncryptStream. It fails with BackupIntegrityError at the
 * first header or chunk that does not authenticate (`backup_key_mismatch`, `backup_corrupt`), having emitted
 * only plaintext that did; a stream cut short fails at its end.
 */
export function createDecryptStream(key: Buffer): Transform {
  let pending: Buffer = Buffer.alloc(0);
  let header: Buffer | undefined;
  let opened: ReturnType<typeof openHeader> | undefined;
  let counter = 0;
  const open = (sealed: Buffer, isLast: boolean): Buffer => {
    const { dataKey, noncePrefix } = opened!;
    const index = counter++;
    const decipher = crypto.createDecipheriv('aes-256-gcm', dataKey, chunkNonce(noncePrefix, index, isLast));
    decipher.setAAD(header!);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch {
      const why = isLast ? 'it is truncated or its last part changed' : `part ${index + 1} changed`;
      throw new BackupIntegrityError('backup_corrupt', `The backup is damaged: ${why}`);
    }
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      try {
        if (!opened) {
          if (pending.length < HEADER_BYTES) return callback();
          header = Buffer.from(pending.subarray(0, HEADER_BYTES));
          opened = openHeader(header, key);
          pending = pending.subarray(HEADER_BYTES);
        }
        // A sealed chunk is known to be not-last only once a byte after it has arrived.
        const sealedBytes = opened.chunkBytes + TAG_BYTES;
        let offset = 0;
        while (pending.length - offset > sealedBytes) {
          this.push(open(pending.subarray(offset, offset + sealedBytes), false));
          offset += sealedBytes;
        }
        pending = pending.subarray(offset);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!opened) throw new BackupIntegrityError('backup_corrupt', 'The backup is damaged: it is shorter than its header');
        if (pending.length < TAG_BYTES) throw new BackupIntegrityError('backup_corrupt', 'The backup is damaged: it is truncated');
        callback(null, open(pending, true));
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** True when `prefix` (the first bytes of an object) starts like an encrypted backup. */
export function looksEncrypted(prefix: Buffer): boolean {
  return prefix.subarray(0, 4).equals(MAGIC);
}
