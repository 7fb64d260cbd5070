import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import sharp from 'sharp';
import { PHOTO_WITH_PERSON, bombPng, cameraJpegWithGps, textImage } from '../../test/images.ts';
import { createLogger } from '../logger.ts';
import { parseConfig } from '../config.ts';
import { VisionEngines } from './VisionEngines.ts';

const config = parseConfig({ LOG_LEVEL: 'silent' });
const log = createLogger(config);

/** The largest gap between ticks of a 20 ms interval while `work` runs: how long the event loop was blocked. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ value: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 20);
  try {
    return { value: await work(), stallMs };
  } finally {
    clearInterval(timer);
  }
}

describe('VisionEngines on the local engines', () => {
  let engines: VisionEngines;
  beforeAll(() => {
    engines = new VisionEngines(config, log);
  });
  afterAll(() => engines?.close());

  it('reads the words of an image with boxes where they were drawn, and describes it locally', async () => {
    const image = await textImage(900, 300, [
      { text: 'Quarterly budget review', x: 40, y: 90, fontSize: 48 },
      { text: 'Room 42 at noon', x: 40, y: 220, fontSize: 40 },
    ]);
    const result = await engines.analyze(image, ['metadata', 'text', 'description']);
    expect(result.metadata).toEqual({ format: 'png', width: 900, height: 300 });
    expect(result.text).toMatch(/Quarterly budget review\s+Room 42 at noon/);
    const budget = result.words.find((word) => word.text === 'budget')!;
    expect(budget.confidence).toBeGreaterThan(80);
    // DejaVu Sans at 48 px: "Quarterly " is ~260 px wide, capitals ~35 px above the baseline at 90.
    expect(budget.box.x).toBeGreaterThan(250);
    expect(budget.box.x).toBeLessThan(340);
    expect(budget.box.y).toBeGreaterThan(45);
    expect(budget.box.y + budget.box.height).toBeLessThan(110);
    expect(result.words.find((word) => word.text === 'Room')!.box.y).toBeGreaterThan(170);
    expect(result.engines).toEqual({ metadata: 'sharp', text: 'tesseract', description: 'local' });
    expect(result.description).toBe('Local analysis: a 900×300 PNG image; text reads “Quarterly budget review Room 42 at noon”.');
  }, 60_000);

  it('reads a huge image scaled down and gives the boxes in its own pixels', async () => {
    const image = await textImage(6000, 1500, [{ text: 'FAR RIGHT', x: 4000, y: 800, fontSize: 160 }]);
    const result = await engines.analyze(image, ['text']);
    const far = result.words.find((word) => word.text === 'FAR')!;
    expect(far).toBeDefined();
    expect(far.box.x).toBeGreaterThan(3950);
    expect(far.box.x).toBeLessThan(4100);
    expect(far.box.y).toBeGreaterThan(600);
    expect(far.box.height).toBeGreaterThan(80);
  }, 60_000);

  it('finds the person in a photo without blocking the event loop, boxed in the photo’s pixels', async () => {
    const photo = await fs.readFile(PHOTO_WITH_PERSON);
    const { value: result, stallMs } = await longestStall(() => engines.analyze(photo, ['objects', 'description']));
    const people = result.objects.filter((object) => object.label === 'person');
    expect(people.every((person) => person.score >= 0.3)).toBe(true);
    // The man on the webcam inset, upper right of the 800×653 screenshot (x 475–800, y 0–245).
    const man = people.find(({ box }) => box.x >= 440 && box.y <= 120 && box.y + box.height <= 300);
    expect(man).toBeDefined();
    expect(man!.box.x + man!.box.width).toBeLessThanOrEqual(800);
    expect(man!.box.width).toBeGreaterThan(60);
    expect(result.engines.objects).toBe('centernet');
    expect(result.description).toMatch(/^Local analysis: a 800×653 JPEG image showing (a|\w+) (person|people)/);
    // Inference takes hundreds of ms of CPU; in its worker thread the loop here still ticks.
    expect(stallMs).toBeLessThan(1_000);
  }, 120_000);

  it('makes a WebP thumbnail that is oriented and carries no EXIF or GPS', async () => {
    const original = await cameraJpegWithGps();
    const result = await engines.analyze(original, ['metadata', 'thumbnail']);
    expect(result.metadata).toMatchObject({
      format: 'jpeg',
      width: 200,
      height: 300,
      exif: { orientation: 6, make: 'TestCam', model: 'Model 7', hasGps: true },
    });
    const thumbnail = await sharp(result.thumbnail).metadata();
    expect(thumbnail).toMatchObject({ format: 'webp', width: 200, height: 300 });
    expect(thumbnail.exif).toBeUndefined();
    expect(thumbnail.orientation).toBeUndefined();
    // Oriented: the band along the stored image's top is now down its right side.
    const { data } = await sharp(result.thumbnail).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [...data.subarray((y * 200 + x) * 3, (y * 200 + x) * 3 + 3)];
    expect(pixel(195, 150)[0]).toBeGreaterThan(200);
    expect(pixel(195, 150)[1]).toBeLessThan(60);
    expect(pixel(5, 150)).toEqual([expect.any(Number), expect.any(Number), expect.any(Number)]);
    expect(Math.min(...pixel(5, 150))).toBeGreaterThan(200);
  });

  it('refuses a decompression bomb from its header, without decoding it', async () => {
    const bomb = bombPng(30_000, 30_000);
    const started = performance.now();
    await expect(engines.analyze(bomb, ['metadata', 'thumbnail', 'text'])).rejects.toMatchObject({ status: 413, code: 'image_too_large' });
    // Decoding 900 megapixels would take minutes and gigabytes; the header alone takes milliseconds. The
    // bound tells the two apart with room for a loaded machine (it has taken 1.6 s in CI).
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('refuses a truncated JPEG as image_invalid rather than analysing grey pixels', async () => {
    const photo = await fs.readFile(PHOTO_WITH_PERSON);
    const truncated = photo.subarray(0, Math.floor(photo.length / 2));
    await expect(engines.analyze(truncated, ['metadata', 'thumbnail'])).rejects.toMatchObject({ status: 400, code: 'image_invalid' });
  });
});
