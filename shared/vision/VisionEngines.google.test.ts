import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeServiceAccountKey } from '../../test/standIns/googleServiceAccount.ts';
import { startGoogleVision, type GoogleVisionStandIn } from '../../test/standIns/googleVision.ts';
import { loopbackTls } from '../../test/standIns/loopbackTls.ts';
import { textImage } from '../../test/images.ts';
import { createLogger } from '../logger.ts';
import { parseConfig } from '../config.ts';
import { VisionEngines } from './VisionEngines.ts';

describe('VisionEngines with Google Vision configured', () => {
  let google: GoogleVisionStandIn;
  let engines: VisionEngines;
  let keyFile: string | undefined;
  let key: { client_email: string; private_key: string };
  beforeAll(async () => {
    keyFile = await writeServiceAccountKey();
    key = JSON.parse(await fs.readFile(keyFile, 'utf8')) as typeof key;
    google = await startGoogleVision({
      tls: loopbackTls,
      serviceAccount: { email: key.client_email, publicKey: crypto.createPublicKey(key.private_key) },
    });
    const config = parseConfig({
      LOG_LEVEL: 'silent',
      GOOGLE_APPLICATION_CREDENTIALS: keyFile,
      GOOGLE_API_ENDPOINT: google.endpoint,
    });
    engines = new VisionEngines(config, createLogger(config));
  });
  afterAll(async () => {
    await engines?.close();
    await google?.close();
    if (keyFile) await fs.rm(path.dirname(keyFile), { recursive: true, force: true });
  });

  it('takes text, objects and labels from Google in one call, boxes in the original’s pixels', async () => {
    // 4096 wide: Google gets a copy at most 2048 wide, so its boxes are scaled back by 2.
    const image = await textImage(4096, 1024, [{ text: 'INVOICE', x: 40, y: 120, fontSize: 80 }]);
    const result = await engines.analyze(image, ['metadata', 'text', 'objects', 'description']);
    expect(result.engines).toEqual({ metadata: 'sharp', text: 'google', objects: 'google', description: 'local' });
    expect(result.fallbacks).toEqual([]);
    expect(result.text).toBe('INVOICE');
    expect(result.words).toEqual([{ text: 'INVOICE', confidence: 100, box: { x: 20, y: 40, width: 200, height: 60 } }]);
    expect(result.objects).toEqual([{ label: 'dog', score: 0.91, box: { x: 2048, y: 512, width: 2048, height: 512 } }]);
    expect(result.labels).toEqual(['Dog', 'Paper']);
    expect(result.description).toBe('Local analysis: a 4096×1024 PNG image showing a dog; text reads “INVOICE”.');
    expect(google.received).toEqual([
      {
        features: ['DOCUMENT_TEXT_DETECTION', 'OBJECT_LOCALIZATION', 'LABEL_DETECTION'],
        imageBytes: expect.any(Number),
        token: expect.objectContaining({ iss: key.client_email, aud: 'https://vision.googleapis.com/' }),
      },
    ]);
  });
});
