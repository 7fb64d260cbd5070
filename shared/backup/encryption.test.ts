import crypto from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from '@jest/globals';
import { createDecryptStream, createEncryptStream } from './encryption.ts';

const KEY = crypto.randomBytes(32);
const CHUNK = 1024;

/** Pushes `bytes` through `transform` in pieces of `piece` bytes; returns the output, or the error with the output seen before it. */
async function run(transform: NodeJS.ReadWriteStream, bytes: Buffer, piece = 700): Promise<{ output: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  const pieces = function* () {
    for (let offset = 0; offset < bytes.length; offset += piece) yield bytes.subarray(offset, offset + piece);
  };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      callback();
    },
  });
  try {
    await pipeline(Readable.from(pieces()), transform, sink);
    return { output: Buffer.concat(parts) };
  } catch (error) {
    return { output: Buffer.concat(parts), error };
  }
}

async function encrypt(plain: Buffer, key = KEY): Promise<Buffer> {
  const { output, error } = await run(createEncryptStream(key, { chunkBytes: CHUNK }), plain);
  if (error) throw error as Error;
  return output;
}

describe('backup encryption', () => {
  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK, 5 * CHUNK + 17])('round-trips %i bytes, in any piece sizes', async (size) => {
    const plain = crypto.randomBytes(size);
    const sealed = await encrypt(plain);
    if (size >= 64) expect(sealed.includes(plain.subarray(0, 64))).toBe(false);
    for (const piece of [1, 57, 1040, 100_000]) {
      const { output, error } = await run(createDecryptStream(KEY), sealed, piece);
      expect(error).toBeUndefined();
      expect(output.equals(plain)).toBe(true);
    }
  });

  it('encrypts the same bytes differently each time', async () => {
    const plain = Buffer.from('same rows, two backups');
    expect((await encrypt(plain)).equals(await encrypt(plain))).toBe(false);
  });

  it('refuses another key with backup_key_mismatch, emitting nothing', async () => {
    const sealed = await encrypt(crypto.randomBytes(3 * CHUNK));
    const { output, error } = await run(createDecryptStream(crypto.randomBytes(32)), sealed);
    expect(error).toMatchObject({ code: 'backup_key_mismatch', status: 409 });
    expect(output.length).toBe(0);
  });

  it('fails with backup_corrupt at the first changed chunk, having emitted only the chunks before it', async () => {
    const plain = crypto.randomBytes(6 * CHUNK + 5);
    const sealed = await encrypt(plain);
    // A byte inside the fourth sealed chunk (header 57, each sealed chunk CHUNK + 16).
    sealed.writeUInt8(sealed.readUInt8(57 + 3 * (CHUNK + 16) + 10) ^ 0x01, 57 + 3 * (CHUNK + 16) + 10);
    const { output, error } = await run(createDecryptStream(KEY), sealed, 100_000);
    expect(error).toMatchObject({ code: 'backup_corrupt', message: expect.stringContaining('part 4') });
    expect(output.equals(plain.subarray(0, 3 * CHUNK))).toBe(true);
  });

  it('reports a changed header byte as corruption, not as a wrong key', async () => {
    const sealed = await encrypt(crypto.randomBytes(100));
    sealed.writeUInt8(sealed.readUInt8(12) ^ 0x80, 12); // inside the salt
    const { error } = await run(createDecryptStream(KEY), sealed);
    expect(error).toMatchObject({ code: 'backup_corrupt' });
  });

  it.each([
    ['at a chunk boundary', (sealed: Buffer) => sealed.subarray(0, 57 + 2 * (CHUNK + 16))],
    ['inside a chunk', (sealed: Buffer) => sealed.subarray(0, sealed.length - 100)],
    ['inside the header', (sealed: Buffer) => sealed.subarray(0, 30)],
    ['by its last chunk', (sealed: Buffer) => sealed.subarray(0, 57 + 4 * (CHUNK + 16))],
  ])('detects a stream truncated %s', async (_where, truncate) => {
    const sealed = await encrypt(crypto.randomBytes(4 * CHUNK + 300));
    const { error } = await run(createDecryptStream(KEY), truncate(sealed));
    expect(error).toMatchObject({ code: 'backup_corrupt' });
  });

  it('refuses bytes that are not an encrypted backup', async () => {
    const { error } = await run(createDecryptStream(KEY), crypto.randomBytes(5000));
    expect(error).toMatchObject({ code: 'backup_corrupt' });
  });
});
