import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer as readAll } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { LocalStorage } from '@shared/storage/LocalStorage.ts';
import type { ObjectStorage } from '@shared/storage/ObjectStorage.ts';
import { HoldAndStoreUploads } from './HoldAndStoreUploads.ts';

const KIB = 1024;
const MIB = 1024 * KIB;
const JPEG = { contentType: 'image/jpeg' };

/** `bytes` as a body arriving in pieces of `chunk` bytes, as a socket delivers an upload. */
const bodyOf = (bytes: Buffer, chunk = 64 * KIB) =>
  Readable.from(Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk)));

/** A body that delivers `bytes` and then breaks, as a client that goes away mid-upload. */
async function* brokenBody(bytes: Buffer) {
  yield bytes;
  throw new Error('the client went away');
}

/** A store that takes nothing of a write until `open()` is called; the real local store underneath. */
function gatedStorage(storage: ObjectStorage) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const gated: Pick<ObjectStorage, 'put' | 'delete'> = {
    put: async (key, body, options) => {
      await gate;
      return storage.put(key, body, options);
    },
    delete: (key) => storage.delete(key),
  };
  return { gated, open };
}

describe('holding an upload for the analysis while it is stored', () => {
  let dir: string;
  let storage: LocalStorage;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-hold-'));
    storage = new LocalStorage(dir);
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  const stored = async (key: string) => readAll((await storage.get(key)).body);

  it('receives each upload whole and stores it byte for byte, reusing the memory of bytes given back', async () => {
    const uploads = new HoldAndStoreUploads(storage, 4 * MIB);
    // Longer than the slices storage is handed, and not a whole number of them.
    const first = crypto.randomBytes(2.5 * MIB);
    const second = crypto.randomBytes(MIB + 5 * KIB);

    expect(await uploads.put('images/u/first', bodyOf(first), JPEG)).toEqual({
      key: 'images/u/first',
      size: first.length,
      sha256: crypto.createHash('sha256').update(first).digest('hex'),
    });
    const held = uploads.take('images/u/first')!;
    expect(held.bytes.equals(first)).toBe(true);
    await held.stored;
    held.release();

    await uploads.put('images/u/second', bodyOf(second), JPEG);
    const next = uploads.take('images/u/second')!;
    expect(next.bytes.equals(second)).toBe(true);
    // The same memory, received into again: no new buffer for the collector to free.
    expect(next.bytes.buffer).toBe(held.bytes.buffer);
    await next.stored;
    expect((await stored('images/u/first')).equals(first)).toBe(true);
    expect((await stored('images/u/second')).equals(second)).toBe(true);
  });

  it('never receives into bytes a handler still holds', async () => {
    const uploads = new HoldAndStoreUploads(storage, 512 * KIB);
    const first = crypto.randomBytes(100 * KIB);
    await uploads.put('images/u/first', bodyOf(first), JPEG);
    const held = uploads.take('images/u/first')!;
    await held.stored;

    await uploads.put('images/u/second', bodyOf(crypto.randomBytes(100 * KIB)), JPEG);
    const next = uploads.take('images/u/second')!;
    expect(next.bytes.buffer).not.toBe(held.bytes.buffer);
    expect(held.bytes.equals(first)).toBe(true);
    await next.stored;
  });

  it('lends the memory until the store has written it, even once the handler gave it back', async () => {
    const { gated, open } = gatedStorage(storage);
    const uploads = new HoldAndStoreUploads(gated, 512 * KIB);
    const bytes = crypto.randomBytes(200 * KIB);
    await uploads.put('images/u/slow', bodyOf(bytes), JPEG);
    const held = uploads.take('images/u/slow')!;
    held.release();
    expect(uploads.buffers.idleCount).toBe(0);

    open();
    await held.stored;
    expect(uploads.buffers.idleCount).toBe(1);
    expect((await stored('images/u/slow')).equals(bytes)).toBe(true);
  });

  it('receives an upload longer than the buffer in a copy of its own, and stores all of it', async () => {
    const uploads = new HoldAndStoreUploads(storage, 64 * KIB);
    const bytes = crypto.randomBytes(200 * KIB + 123);
    await uploads.put('images/u/long', bodyOf(bytes), JPEG);
    const held = uploads.take('images/u/long')!;
    expect(held.bytes.equals(bytes)).toBe(true);
    await held.stored;
    expect((await stored('images/u/long')).equals(bytes)).toBe(true);
    // Only the store lent the buffer: it is free again without the handler.
    expect(uploads.buffers.idleCount).toBe(1);
    held.release();
    expect(uploads.buffers.idleCount).toBe(1);
  });

  it('keeps nothing of a broken upload, and frees its buffer', async () => {
    const uploads = new HoldAndStoreUploads(storage, 512 * KIB);
    await expect(uploads.put('images/u/broken', Readable.from(brokenBody(crypto.randomBytes(50 * KIB))), JPEG)).rejects.toThrow(
      'the client went away',
    );
    expect(uploads.take('images/u/broken')).toBeUndefined();
    expect(await storage.head('images/u/broken')).toBeUndefined();
    expect(await fs.readdir(storage.tempDir).catch(() => [])).toEqual([]);
    expect(uploads.buffers.idleCount).toBe(1);
  });
});
