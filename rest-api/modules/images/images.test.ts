import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import sharp from 'sharp';
import { expectError } from '../../../test/assertions.ts';
import { bearer, createConversation, registerUser, type TestUser } from '../../../test/factories.ts';
import { waitUntil } from '../../../test/jobs.ts';
import { PHOTO_WITH_PERSON, bombPng, cameraJpegWithGps, textImage } from '../../../test/images.ts';
import { postShare, viewShare } from '../shares/shares.fixtures.ts';
import { analyze, bodyBytes, startImagesApp, type ImagesApp } from './images.fixtures.ts';

/** Images above this many bytes go through the job queue in these tests. */
const SYNC_BYTES = 300_000;

describe('image analysis API', () => {
  let a: ImagesApp;
  let owner: TestUser;
  beforeAll(async () => {
    a = await startImagesApp({ IMAGE_SYNC_BYTES: String(SYNC_BYTES) });
    owner = await registerUser(a.t);
  });
  afterAll(() => a?.close());

  /** What a user's refused uploads could have left: objects under their prefix, thumbnails, rows. */
  async function storedFor(user: TestUser) {
    return {
      objects: await a.storedKeys(`images/${user.id}/`),
      rows: Number(
        (await a.t.services.db('image_analyses').where({ user_id: user.id }).count<[{ count: string }]>('* as count'))[0]!.count,
      ),
    };
  }
  const NOTHING = { objects: [], rows: 0 };
  const thumbnailOf = (path: string, token: string) => bodyBytes(a.t.request.get(path).set('Authorization', `Bearer ${token}`));

  it('reads the text of an image with word boxes, keeps the result, and serves its thumbnail', async () => {
    const image = await textImage(800, 200, [{ text: 'Launch checklist', x: 30, y: 110, fontSize: 56 }]);
    const res = await analyze(a.t, owner, image, { features: 'metadata,thumbnail,text,description' });
    expect(res.status).toBe(200);
    const analysis = res.body.data;
    expect(analysis).toMatchObject({
      status: 'done',
      progress: 1,
      metadata: { format: 'png', width: 800, height: 200 },
      thumbnailUrl: `/api/image/analyses/${analysis.id}/thumbnail`,
      text: 'Launch checklist',
      objects: [],
      description: 'Local analysis: a 800×200 PNG image; text reads “Launch checklist”.',
      engines: { metadata: 'sharp', thumbnail: 'sharp', text: 'tesseract', description: 'local' },
      fallbacks: [],
      cached: false,
      attachmentId: null,
      error: null,
    });
    const launch = analysis.words.find((word: { text: string }) => word.text === 'Launch');
    expect(launch.box.x).toBeGreaterThanOrEqual(25);
    expect(launch.box.x).toBeLessThan(60);
    expect(launch.box.y).toBeGreaterThan(55);

    expect((await a.t.request.get(`/api/image/analyses/${analysis.id}`).set(bearer(owner))).body.data).toEqual(analysis);
    const thumbnail = await thumbnailOf(analysis.thumbnailUrl, owner.accessToken);
    expect(thumbnail.headers['content-type']).toBe('image/webp');
    expect(await sharp(thumbnail.body as Buffer).metadata()).toMatchObject({ format: 'webp', width: 512, height: 128 });

    const stranger = await registerUser(a.t);
    expectError(await a.t.request.get(`/api/image/analyses/${analysis.id}`).set(bearer(stranger)), 404, 'not_found');
    expectError(await a.t.request.get(analysis.thumbnailUrl).set(bearer(stranger)), 404, 'not_found');
    expectError(await a.t.request.get(analysis.thumbnailUrl), 401, 'unauthenticated');
  }, 60_000);

  it('answers the same bytes from the earlier analysis, without running an engine again', async () => {
    const image = await textImage(600, 160, [{ text: 'Cached words', x: 20, y: 100, fontSize: 48 }]);
    const first = (await analyze(a.t, owner, image, { features: 'text,thumbnail' })).body.data;
    const thumbnailsBefore = await a.storedKeys('image-thumbnails/');
    const other = await registerUser(a.t);
    const again = await analyze(a.t, other, image, { features: 'thumbnail,text' });
    expect(again.status).toBe(200);
    expect(again.body.data).toMatchObject({ cached: true, text: first.text, words: first.words, engines: first.engines });
    expect(again.body.data.id).not.toBe(first.id);
    // No new thumbnail: the cached analysis points at the first one's.
    expect(await a.storedKeys('image-thumbnails/')).toEqual(thumbnailsBefore);
    expect((await thumbnailOf(again.body.data.thumbnailUrl, other.accessToken)).status).toBe(200);
    // Other features are another analysis.
    expect((await analyze(a.t, owner, image, { features: 'metadata' })).body.data.cached).toBe(false);
  }, 60_000);

  it('has the original stored, byte for byte, by the time it answers', async () => {
    const user = await registerUser(a.t);
    const photo = await fs.readFile(PHOTO_WITH_PERSON);
    const res = await analyze(a.t, user, photo, { features: 'metadata,thumbnail' });
    expect(res.status).toBe(200);
    const keys = await a.storedKeys(`images/${user.id}/`);
    expect(keys).toHaveLength(1);
    expect((await a.readStored(keys[0]!)).equals(photo)).toBe(true);
    expect(await a.tempFiles()).toEqual([]);
  });

  it('records nothing and keeps nothing when its thumbnail cannot be stored (the record waits for the write)', async () => {
    const user = await registerUser(a.t);
    const banner = await textImage(320, 90, [{ text: 'Lost', x: 10, y: 60, fontSize: 40 }]);
    // A file where the thumbnails' directory goes: the store writes the thumbnail, then cannot put it in place.
    const thumbnails = path.join(a.storageDir, 'image-thumbnails');
    const aside = `${thumbnails}.aside`;
    await fs.rename(thumbnails, aside).catch(() => {});
    await fs.writeFile(thumbnails, 'not a directory');
    try {
      const res = await analyze(a.t, user, banner, { features: 'metadata,thumbnail' });
      expect(res.status).toBe(500);
      expect(await storedFor(user)).toEqual(NOTHING);
      expect(await a.tempFiles()).toEqual([]);
    } finally {
      await fs.rm(thumbnails);
      await fs.rename(aside, thumbnails).catch(() => {});
    }
    // Nothing was cached either: the same bytes are analysed again, and this time kept.
    const again = await analyze(a.t, user, banner, { features: 'metadata,thumbnail' });
    expect(again.status).toBe(200);
    expect(again.body.data).toMatchObject({ cached: false });
    const thumbnail = await sharp((await thumbnailOf(again.body.data.thumbnailUrl, user.accessToken)).body as Buffer).metadata();
    expect(thumbnail).toMatchObject({ format: 'webp', width: 320, height: 90 });
  });

  it('keeps each upload apart when they follow one another, a cache hit still decoding among them', async () => {
    const user = await registerUser(a.t);
    const photo = await fs.readFile(PHOTO_WITH_PERSON);
    const banner = await textImage(300, 90, [{ text: 'Next', x: 10, y: 60, fontSize: 40 }]);
    const features = { features: 'metadata,thumbnail' };
    const first = (await analyze(a.t, user, photo, features)).body.data;
    // Answered from the cache while its own thumbnail may still be decoding from the bytes it received.
    const again = (await analyze(a.t, user, photo, features)).body.data;
    const next = (await analyze(a.t, user, banner, features)).body.data;
    expect(again).toMatchObject({ cached: true, metadata: first.metadata, thumbnailUrl: expect.any(String) });
    expect(next).toMatchObject({ cached: false, metadata: { format: 'png', width: 300, height: 90 } });
    const thumbnail = await sharp((await thumbnailOf(next.thumbnailUrl, user.accessToken)).body as Buffer).metadata();
    expect(thumbnail).toMatchObject({ format: 'webp', width: 300, height: 90 });
    const originals = await Promise.all((await a.storedKeys(`images/${user.id}/`)).map((key) => a.readStored(key)));
    expect(originals.map((bytes) => bytes.equals(photo)).sort()).toEqual([false, true, true]);
    expect(originals.some((bytes) => bytes.equals(banner))).toBe(true);
  });

  it('strips EXIF and GPS from the thumbnail and applies the orientation; the GPS is never reported', async () => {
    const res = await analyze(a.t, owner, await cameraJpegWithGps(), { features: 'metadata,thumbnail' });
    expect(res.status).toBe(200);
    expect(res.body.data.metadata).toEqual({
      format: 'jpeg',
      width: 200,
      height: 300,
      exif: { orientation: 6, make: 'TestCam', model: 'Model 7', modifiedAt: '2026:11:29 10:00:00', hasGps: true },
    });
    expect(JSON.stringify(res.body)).not.toMatch(/GPSLatitude|48\/1/);
    const thumbnail = await sharp((await thumbnailOf(res.body.data.thumbnailUrl, owner.accessToken)).body as Buffer).metadata();
    expect(thumbnail).toMatchObject({ format: 'webp', width: 200, height: 300 });
    expect(thumbnail.exif).toBeUndefined();
    expect(thumbnail.orientation).toBeUndefined();
  });

  describe('refuses bad input, and keeps nothing of it', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await registerUser(a.t);
    });

    it('a text file or a PDF: 415', async () => {
      expectError(await analyze(a.t, user, Buffer.from('just some notes\n')), 415, 'unsupported_media_type');
      expectError(await analyze(a.t, user, Buffer.from('%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n')), 415, 'unsupported_media_type');
      expect(await storedFor(user)).toEqual(NOTHING);
    });

    it('an empty file, no file, or an unknown feature: 400', async () => {
      expectError(await analyze(a.t, user, Buffer.alloc(0)), 400, 'empty_file');
      expectError(await a.t.request.post('/api/image/analyze').set(bearer(user)), 400, 'validation_failed');
      expectError(await analyze(a.t, user, await textImage(10, 10, []), { features: 'text,faces' }), 400, 'validation_failed');
      expect(await storedFor(user)).toEqual(NOTHING);
    });

    it('21 MiB: 413', async () => {
      const big = Buffer.concat([
        await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
          .jpeg()
          .toBuffer(),
        crypto.randomBytes(21 * 1024 * 1024),
      ]);
      expectError(await analyze(a.t, user, big), 413, 'payload_too_large');
      expect(await storedFor(user)).toEqual(NOTHING);
      // Written to storage as it arrived: the refusal came after the partial write was removed.
      expect(await a.tempFiles()).toEqual([]);
    });

    it('a decompression bomb: 413 image_too_large from its header, nothing decoded', async () => {
      const bomb = bombPng(30_000, 30_000);
      const started = performance.now();
      expectError(await analyze(a.t, user, bomb), 413, 'image_too_large');
      // Decoding 900 megapixels would take minutes and gigabytes: a generous bound still tells them apart.
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(await storedFor(user)).toEqual(NOTHING);
    });

    it('a truncated JPEG: 400 image_invalid', async () => {
      const photo = await fs.readFile(PHOTO_WITH_PERSON);
      expectError(await analyze(a.t, user, photo.subarray(0, photo.length >> 1), { features: 'metadata,thumbnail' }), 400, 'image_invalid');
      expect(await storedFor(user)).toEqual(NOTHING);
    });
  });

  it('keeps an image analysed for a conversation as its attachment; the message, its share view and the share token show it', async () => {
    const conversation = await createConversation(a.t, owner);
    const image = await textImage(640, 160, [{ text: 'Team photo', x: 20, y: 100, fontSize: 52 }]);
    const res = await analyze(a.t, owner, image, { conversationId: conversation.id, features: 'metadata,thumbnail,text' });
    expect(res.status).toBe(200);
    const { id, attachmentId, thumbnailUrl } = res.body.data;
    expect(attachmentId).toEqual(expect.any(String));
    const posted = await a.t.request
      .post(`/api/conversations/${conversation.id}/messages`)
      .set(bearer(owner))
      .send({ role: 'user', content: 'see', attachmentIds: [attachmentId] });
    expect(posted.status).toBe(201);
    const expected = { id, width: 640, height: 160, thumbnailUrl, text: 'Team photo', objects: [], description: '' };
    expect(posted.body.data.attachments).toEqual([
      expect.objectContaining({ id: attachmentId, contentType: 'image/png', analysis: expected }),
    ]);
    const listed = await a.t.request.get(`/api/conversations/${conversation.id}/messages`).set(bearer(owner));
    expect(listed.body.data[0].attachments[0].analysis).toEqual(expected);

    const share = (await postShare(a.t, owner, { conversationId: conversation.id, permission: 'read' })).body.data;
    const view = await viewShare(a.t, share.id);
    expect(view.body.data.messages[0].attachments[0].analysis).toEqual(expected);
    const thumbnail = await thumbnailOf(thumbnailUrl, view.body.data.token);
    expect({ status: thumbnail.status, type: thumbnail.headers['content-type'] }).toEqual({ status: 200, type: 'image/webp' });
    // The original is downloadable as the attachment it is.
    expect((await a.t.request.get(`/api/attachments/${attachmentId}`).set(bearer(owner))).status).toBe(200);
  }, 60_000);

  it('answers 404 for a conversation that is not yours, before storing anything', async () => {
    const stranger = await registerUser(a.t);
    const theirs = await createConversation(a.t, owner);
    expectError(await analyze(a.t, stranger, await textImage(100, 50, []), { conversationId: theirs.id }), 404, 'not_found');
    expect(await storedFor(stranger)).toEqual(NOTHING);
    expect(await a.storedKeys(`attachments/${theirs.id}/`)).toEqual([]);
  });

  it('queues a large image: 202 pending, then progress, then the result', async () => {
    // Faint noise (what OCR binarises away) does not compress: a PNG of ~1 MB, over SYNC_BYTES, with a line of text.
    const page = await sharp(await textImage(1200, 600, [{ text: 'QUEUED', x: 60, y: 320, fontSize: 96 }]))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const noisy = Buffer.from(page.data.map((value) => Math.max(0, value - crypto.randomInt(16))));
    const image = await sharp(noisy, { raw: page.info }).png().toBuffer();
    expect(image.length).toBeGreaterThan(SYNC_BYTES);
    const res = await analyze(a.t, owner, image, { features: 'metadata,thumbnail,text' });
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({ status: 'pending', progress: 0, thumbnailUrl: null, text: '' });
    const seen: Array<{ status: string; progress: number }> = [];
    let done: { status: string; text: string; thumbnailUrl: string; progress: number } | undefined;
    await waitUntil(
      'the queued analysis is done',
      async () => {
        const polled = (await a.t.request.get(`/api/image/analyses/${res.body.data.id}`).set(bearer(owner))).body.data;
        seen.push({ status: polled.status, progress: polled.progress });
        if (polled.status === 'done' || polled.status === 'failed') done = polled;
        return done !== undefined;
      },
      60_000,
    );
    expect(done).toMatchObject({ status: 'done', progress: 1, text: expect.stringContaining('QUEUED') });
    expect((await thumbnailOf(done!.thumbnailUrl, owner.accessToken)).status).toBe(200);
    // Progress only grows.
    const progress = seen.map((entry) => entry.progress);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
  }, 90_000);
});
