import { afterAll, describe, expect, it } from '@jest/globals';
import { textImage } from '../../../test/images.ts';
import { createLogger } from '../../logger.ts';
import { parseConfig } from '../../config.ts';
import { OcrPool } from './OcrPool.ts';

const log = createLogger(parseConfig({ LOG_LEVEL: 'silent' }));

describe('OcrPool', () => {
  const pool = new OcrPool({ size: 1, recycleAfter: 2, log });
  afterAll(() => pool.close());

  it('replaces a worker after RECYCLE_AFTER images, and the new one reads as well', async () => {
    const words = ['Apples', 'Bananas', 'Cherries', 'Dates'];
    const read: Array<{ text: string; workerId: number }> = [];
    for (const word of words) {
      const { page, workerId } = await pool.recognize(await textImage(500, 120, [{ text: word, x: 20, y: 80, fontSize: 56 }]));
      read.push({ text: page.text.trim(), workerId });
    }
    expect(read).toEqual([
      { text: 'Apples', workerId: 1 },
      { text: 'Bananas', workerId: 1 },
      { text: 'Cherries', workerId: 2 },
      { text: 'Dates', workerId: 2 },
    ]);
  }, 60_000);

  it('serves requests beyond its size in turn, on the workers it has', async () => {
    const images = await Promise.all(
      ['one', 'two', 'three'].map((word) => textImage(400, 120, [{ text: word, x: 20, y: 80, fontSize: 56 }])),
    );
    const pages = await Promise.all(images.map((image) => pool.recognize(image)));
    expect(pages.map(({ page }) => page.text.trim())).toEqual(['one', 'two', 'three']);
  }, 60_000);
});
