import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startS3, type TestS3 } from '../../test/s3.ts';
import { LocalStorage } from './LocalStorage.ts';
import { InvalidObjectKeyError, ObjectNotFoundError, RangeNotSatisfiableError, type ObjectStorage } from './ObjectStorage.ts';

const MIB = 1024 * 1024;

/** A driver under test, and what it might leave behind that is not an object. */
interface Harness {
  storage: ObjectStorage;
  /** Temporary files of writes in progress or abandoned (the local driver's `.tmp`); S3 keeps none. */
  leftovers(): Promise<string[]>;
  close(): Promise<void>;
}

async function localHarness(): Promise<Harness & { dir: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-storage-'));
  const storage = new LocalStorage(path.join(dir, 'objects'));
  return {
    dir,
    storage,
    leftovers: () => fs.readdir(storage.tempDir).catch(() => []),
    close: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

async function s3Harness(): Promise<Harness & { s3: TestS3 }> {
  const s3 = await startS3();
  // Two keys a page: listing and prefix deletion cross page boundaries with a handful of objects.
  const storage = s3.storage({ pageSize: 2 });
  return { s3, storage, leftovers: async () => [], close: () => s3.close() };
}

/** A stream of `size` random bytes in chunks of `chunk`, and the bytes themselves. */
function randomBody(size: number, chunk = 64 * 1024): { bytes: Buffer; body: () => Readable } {
  const bytes = crypto.randomBytes(size);
  return {
    bytes,
    body: () =>
      Readable.from(
        (function* () {
          for (let offset = 0; offset < size; offset += chunk) yield bytes.subarray(offset, offset + chunk);
        })(),
      ),
  };
}

/** Dates made by Node's own code come from another realm than jest's, so `expect.any(Date)` cannot see them. */
const isDate = (value: unknown) => Object.prototype.toString.call(value) === '[object Date]';
const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');
const text = (value: string) => Readable.from([Buffer.from(value)]);

async function keysUnder(storage: ObjectStorage, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of storage.list(prefix)) keys.push(object.key);
  return keys.sort();
}

describe.each([
  ['local directory', localHarness],
  ['S3 (s3rver)', s3Harness],
] as const)('object storage on %s', (_name, makeHarness) => {
  let h: Harness;
  beforeAll(async () => {
    h = await makeHarness();
  });
  afterAll(() => h?.close());

  it('streams a multi-part body in, reports its size and SHA-256, and streams the same bytes back', async () => {
    // Over 5 MiB: the S3 driver takes the multipart path.
    const { bytes, body } = randomBody(7 * MIB + 123);
    const stored = await h.storage.put('roundtrip/big.bin', body(), { contentType: 'application/pdf' });
    expect(stored).toEqual({ key: 'roundtrip/big.bin', size: bytes.length, sha256: sha256(bytes) });

    const object = await h.storage.get('roundtrip/big.bin');
    expect({ size: object.size, contentType: object.contentType, range: object.range }).toEqual({
      size: bytes.length,
      contentType: 'application/pdf',
      range: undefined,
    });
    expect((await buffer(object.body)).equals(bytes)).toBe(true);
    expect(await h.leftovers()).toEqual([]);
  });

  it('stores an empty body as an object of 0 bytes', async () => {
    const stored = await h.storage.put('empty/nothing', Readable.from([]), { contentType: 'text/plain' });
    expect(stored).toEqual({ key: 'empty/nothing', size: 0, sha256: sha256(Buffer.alloc(0)) });
    expect(await h.storage.head('empty/nothing')).toMatchObject({ size: 0, contentType: 'text/plain' });
  });

  it('streams a range, clamps an end past the object, and refuses a start past it', async () => {
    await h.storage.put('range/digits', text('0123456789'), { contentType: 'text/plain' });
    const middle = await h.storage.get('range/digits', { range: { start: 2, end: 4 } });
    expect({ size: middle.size, range: middle.range, bytes: (await buffer(middle.body)).toString() }).toEqual({
      size: 10,
      range: { start: 2, end: 4 },
      bytes: '234',
    });
    const tail = await h.storage.get('range/digits', { range: { start: 7, end: 1000 } });
    expect({ range: tail.range, bytes: (await buffer(tail.body)).toString() }).toEqual({ range: { start: 7, end: 9 }, bytes: '789' });
    await expect(h.storage.get('range/digits', { range: { start: 10, end: 12 } })).rejects.toBeInstanceOf(RangeNotSatisfiableError);
  });

  it('answers head with size and type, and undefined or ObjectNotFoundError for a missing key', async () => {
    await h.storage.put('head/one', text('abc'), { contentType: 'image/png' });
    const info = await h.storage.head('head/one');
    expect({ ...info, lastModified: isDate(info?.lastModified) }).toEqual({
      key: 'head/one',
      size: 3,
      contentType: 'image/png',
      lastModified: true,
    });
    expect(await h.storage.head('head/missing')).toBeUndefined();
    await expect(h.storage.get('head/missing')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('replaces an object that is put again under the same key', async () => {
    await h.storage.put('replace/x', text('first version'), { contentType: 'text/plain' });
    await h.storage.put('replace/x', text('second'), { contentType: 'application/pdf' });
    const object = await h.storage.get('replace/x');
    expect({ contentType: object.contentType, bytes: (await buffer(object.body)).toString() }).toEqual({
      contentType: 'application/pdf',
      bytes: 'second',
    });
  });

  it('deletes one object, and deleting it again is not an error', async () => {
    await h.storage.put('delete/a', text('a'), { contentType: 'text/plain' });
    await h.storage.put('delete/b', text('b'), { contentType: 'text/plain' });
    await h.storage.delete('delete/a');
    await h.storage.delete('delete/a');
    expect(await keysUnder(h.storage, 'delete/')).toEqual(['delete/b']);
  });

  it('lists every object under a prefix, across pages, and nothing beside it', async () => {
    const keys = ['list/c1/a', 'list/c1/b', 'list/c1/d', 'list/c1/deep/er/c', 'list/c1/e'];
    for (const key of [...keys, 'list/c10/other', 'list/c2/x']) await h.storage.put(key, text(key), { contentType: 'text/plain' });
    expect(await keysUnder(h.storage, 'list/c1/')).toEqual(keys);
    // A prefix may end inside a segment, as in S3.
    expect(await keysUnder(h.storage, 'list/c1')).toEqual([...keys, 'list/c10/other'].sort());
    const sizes = [];
    for await (const object of h.storage.list('list/c2/')) sizes.push([object.key, object.size, isDate(object.lastModified)]);
    expect(sizes).toEqual([['list/c2/x', 'list/c2/x'.length, true]]);
    expect(await keysUnder(h.storage, 'list/none/')).toEqual([]);
  });

  it('deletes exactly the objects under a prefix', async () => {
    const doomed = ['prefix/a/1', 'prefix/a/2', 'prefix/a/3', 'prefix/a/n/4', 'prefix/a/n/5'];
    for (const key of [...doomed, 'prefix/ab/kept', 'prefix/b/kept']) await h.storage.put(key, text(key), { contentType: 'text/plain' });
    expect(await h.storage.deletePrefix('prefix/a/')).toBe(doomed.length);
    expect(await keysUnder(h.storage, 'prefix/')).toEqual(['prefix/ab/kept', 'prefix/b/kept']);
    expect(await h.storage.deletePrefix('prefix/a/')).toBe(0);
  });

  it.each(['../escape', 'a/../../escape', '/absolute', 'a//b', '.hidden', 'a/.tmp/x', 'a\\b', '', 'a/', 'nul\u0000', 'x'.repeat(1025)])(
    'refuses the key %j for every operation',
    async (key) => {
      const attempts = [
        () => h.storage.put(key, text('x'), { contentType: 'text/plain' }),
        () => h.storage.get(key),
        () => h.storage.head(key),
        () => h.storage.delete(key),
        () => h.storage.download(key, { expiresInSeconds: 60 }),
      ];
      for (const attempt of attempts) await expect(attempt()).rejects.toBeInstanceOf(InvalidObjectKeyError);
    },
  );

  it.each(['../', 'a/../', '/', '.tmp/'])('refuses to list or delete the prefix %j', async (prefix) => {
    await expect(keysUnder(h.storage, prefix)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(h.storage.deletePrefix(prefix)).rejects.toBeInstanceOf(InvalidObjectKeyError);
  });

  it('rejects with the body’s own error when the body fails before its first byte, and keeps nothing', async () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const failure = new Error('refused at once');
      const body = Readable.from(
        (async function* () {
          yield* [];
          throw failure;
        })(),
      );
      await expect(h.storage.put(`failed/at-once-${attempt}`, body, { contentType: 'text/plain' })).rejects.toBe(failure);
    }
    expect(await keysUnder(h.storage, 'failed/')).toEqual([]);
    expect(await h.leftovers()).toEqual([]);
  });

  it('rejects with the body’s own error when the body fails part-way, and keeps nothing', async () => {
    const failure = new Error('client went away');
    const body = Readable.from(
      (async function* () {
        for (let i = 0; i < 6; i++) yield crypto.randomBytes(MIB);
        throw failure;
      })(),
    );
    await expect(h.storage.put('failed/upload', body, { contentType: 'application/pdf' })).rejects.toBe(failure);
    expect(body.destroyed).toBe(true);
    expect(await h.storage.head('failed/upload')).toBeUndefined();
    expect(await keysUnder(h.storage, 'failed/')).toEqual([]);
    expect(await h.leftovers()).toEqual([]);
  });
});

describe('object storage on a local directory, on disk', () => {
  let h: Awaited<ReturnType<typeof localHarness>>;
  beforeAll(async () => {
    h = await localHarness();
  });
  afterAll(() => h?.close());

  it('keeps each object as a plain file under its key, and nothing outside the root', async () => {
    await h.storage.put('attachments/c1/a1', text('hello'), { contentType: 'text/plain' });
    expect(await fs.readFile(path.join(h.dir, 'objects', 'attachments', 'c1', 'a1'), 'utf8')).toBe('hello');
    await expect(h.storage.put('../outside', text('x'), { contentType: 'text/plain' })).rejects.toBeInstanceOf(InvalidObjectKeyError);
    expect(await fs.readdir(h.dir)).toEqual(['objects']);
  });

  it('removes the directories a deleted prefix leaves empty', async () => {
    await h.storage.put('gone/c2/a', text('a'), { contentType: 'text/plain' });
    await h.storage.deletePrefix('gone/');
    expect(await fs.readdir(path.join(h.dir, 'objects'))).not.toContain('gone');
  });

  it('offers no URL of its own: downloads go through the server', async () => {
    expect(await h.storage.download('attachments/c1/a1', { expiresInSeconds: 60 })).toEqual({ kind: 'proxy' });
  });
});

describe('object storage on S3, downloads', () => {
  let h: Awaited<ReturnType<typeof s3Harness>>;
  beforeAll(async () => {
    h = await s3Harness();
  });
  afterAll(() => h?.close());

  it('hands out a signed, expiring URL that serves the object with the asked-for disposition', async () => {
    await h.storage.put('download/report.pdf', text('%PDF-1.7 tiny'), { contentType: 'application/pdf' });
    const download = await h.storage.download('download/report.pdf', {
      expiresInSeconds: 60,
      contentDisposition: 'attachment; filename="report.pdf"',
    });
    if (download.kind !== 'url') throw new Error('expected a URL');
    const url = new URL(download.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${h.s3.endpoint}/${h.s3.bucket}/download/report.pdf`);
    expect({
      expires: url.searchParams.get('X-Amz-Expires'),
      signed: /^[0-9a-f]{64}$/.test(url.searchParams.get('X-Amz-Signature') ?? ''),
    }).toEqual({ expires: '60', signed: true });
    expect(download.expiresAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
    const res = await fetch(download.url);
    expect({ status: res.status, disposition: res.headers.get('content-disposition'), body: await res.text() }).toEqual({
      status: 200,
      disposition: 'attachment; filename="report.pdf"',
      body: '%PDF-1.7 tiny',
    });
  });
});
