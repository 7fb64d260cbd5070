import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import sharp from 'sharp';
import { registerUser, type TestUser } from '../../../test/factories.ts';
import { cameraJpegWithGps, textImage } from '../../../test/images.ts';
import { startOpenAIVision, type OpenAIVisionStandIn } from '../../../test/standIns/openaiVision.ts';
import { analyze, startImagesApp, type ImagesApp } from './images.fixtures.ts';

// Long enough for a loaded machine to answer through the stand-in, short enough to wait out in the hang test.
const DEADLINE_MS = 3_000;

describe('image analysis with OpenAI configured', () => {
  let openai: OpenAIVisionStandIn;
  let a: ImagesApp;
  let user: TestUser;
  beforeAll(async () => {
    openai = await startOpenAIVision();
    a = await startImagesApp({
      OPENAI_API_KEY: openai.apiKey,
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_VISION_MODEL: 'gpt-4o-mini',
      CLOUD_ENGINE_TIMEOUT_MS: String(DEADLINE_MS),
    });
    user = await registerUser(a.t);
  });
  afterAll(async () => {
    await a?.close();
    await openai?.close();
  });

  /** A text image no other test uploads, so the cache never answers. */
  const freshImage = (text: string) => textImage(700, 160, [{ text, x: 20, y: 100, fontSize: 48 }]);

  it('describes the image with OpenAI, sending it a JPEG without EXIF, with the key and the model', async () => {
    openai.mode = 'ok';
    const res = await analyze(a.t, user, await cameraJpegWithGps(), { features: 'metadata,description' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      description: openai.description,
      labels: ['whiteboard', 'text'],
      engines: { metadata: 'sharp', description: 'openai' },
      fallbacks: [],
    });
    const request = openai.received.at(-1)!;
    expect(request).toMatchObject({
      authorization: `Bearer ${openai.apiKey}`,
      model: 'gpt-4o-mini',
      prompt: expect.stringMatching(/JSON/),
    });
    const sent = Buffer.from(request.imageUrl.replace(/^data:image\/jpeg;base64,/, ''), 'base64');
    const sentMetadata = await sharp(sent).metadata();
    // Oriented, and the photo's GPS position never leaves the server.
    expect(sentMetadata).toMatchObject({ format: 'jpeg', width: 200, height: 300 });
    expect(sentMetadata.exif).toBeUndefined();
  });

  it('falls back to the local description when OpenAI answers 500, and says so', async () => {
    openai.mode = '500';
    const res = await analyze(a.t, user, await freshImage('Server error'), { features: 'text,description' });
    expect(res.status).toBe(200);
    expect(res.body.data.engines).toEqual({ text: 'tesseract', description: 'local' });
    expect(res.body.data.description).toBe('Local analysis: a 700×160 PNG image; text reads “Server error”.');
    expect(res.body.data.fallbacks).toEqual([{ engine: 'openai', reason: expect.stringContaining('500') }]);
  }, 30_000);

  it('falls back to the local description when OpenAI never answers, within the deadline', async () => {
    openai.mode = 'hang';
    const received = openai.received.length;
    const started = performance.now();
    const res = await analyze(a.t, user, await freshImage('Hanging on'), { features: 'description' });
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(openai.received.length).toBe(received + 1);
    expect(res.body.data).toMatchObject({
      engines: { description: 'local' },
      description: 'Local analysis: a 700×160 PNG image.',
      fallbacks: [{ engine: 'openai', reason: `no answer within ${DEADLINE_MS} ms` }],
    });
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    // Generous above: the point is an answer at the deadline rather than none; the machine may be busy.
    expect(elapsed).toBeLessThan(DEADLINE_MS + 3_000);
  }, 30_000);
});
