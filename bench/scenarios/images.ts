import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { createWorker, OEM } from 'tesseract.js';
import { ENGLISH_LANG_PATH } from '@shared/vision/ocr/OcrPool.ts';
import { PHOTO_WITH_PERSON, textImage } from '../../test/images.ts';
import { interleave, p50RatioByPart, repeat, type InterleavedResult } from '../lib/repeat.ts';
import { signUp, withRestApp, type RestAppServer } from '../lib/servers.ts';
import type { Scenario } from '../lib/types.ts';

/** Every request of a run is one analysis: the per-user limit must not refuse any. */
const IMAGES_BENCH_ENV = { RATE_LIMIT_MEDIA_PER_USER: '100000000' };

/** POSTs an image (a Blob made before the clock starts) to /api/image/analyze and checks it was analysed (not cached) in the request. */
async function analyze(app: RestAppServer, token: string, image: Blob, features: string): Promise<void> {
  const form = new FormData();
  form.append('image', image, 'bench.img');
  const res = await fetch(`${app.url}/api/image/analyze?features=${features}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const body = (await res.json()) as { data?: { cached: boolean; status: string } };
  if (res.status !== 200 || body.data?.cached !== false) throw new Error(`analyze answered ${res.status} ${JSON.stringify(body)}`);
}

/** POSTs the image as the same multipart form to `url` and reads the JSON answer: the request without the app. */
async function postForm(url: string, image: Blob): Promise<void> {
  const form = new FormData();
  form.append('image', image, 'bench.img');
  const res = await fetch(url, { method: 'POST', body: form });
  await res.json();
  if (res.status !== 200) throw new Error(`the body reader answered ${res.status}`);
}

/**
 * A bare node:http server in its own process that reads a request's body to the end and answers `{}`
 * — what carrying the upload costs (the client's form encoding, loopback, the server's socket reads)
 * with no parsing, hashing, storage or sharp; stopped afterwards.
 */
async function withBodyReader<T>(use: (url: string) => Promise<T>): Promise<T> {
  const source =
    "const s = require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => r.end('{}')); });" +
    "s.listen(0, '127.0.0.1', () => console.log(s.address().port));";
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (line: Buffer) => resolve(line.toString().trim()));
      child.once('exit', (code) => reject(new Error(`the body reader exited with ${code}`)));
    });
    return await use(`http://127.0.0.1:${port}/`);
  } finally {
    child.kill();
  }
}

/** The app's image_analysis_duration_seconds for analyses made in the request, so far: seconds in all, and how many. */
async function analysisSeconds(app: RestAppServer): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  const read = (part: string) =>
    Number(new RegExp(`^image_analysis_duration_seconds_${part}\\{[^}]*mode="request"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { sum: read('sum'), count: read('count') };
}

/** The bytes as a Blob for fetch; copying a few MB into one is the client's cost, made outside the timing. */
const blobs = new WeakMap<Buffer, Blob>();
function blobOf(bytes: Buffer): Blob {
  let blob = blobs.get(bytes);
  if (!blob) blobs.set(bytes, (blob = new Blob([new Uint8Array(bytes)])));
  return blob;
}

/** The app with a storage directory of its own, removed afterwards. */
async function withImagesApp<T>(use: (app: RestAppServer, token: string) => Promise<T>): Promise<T> {
  const storageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-bench-images-'));
  try {
    return await withRestApp(async (app) => use(app, await signUp(app)), { ...IMAGES_BENCH_ENV, STORAGE_DIR: storageDir });
  } finally {
    await fs.rm(storageDir, { recursive: true, force: true });
  }
}

/**
 * OCR of a two-line text image (1000×260 PNG) through the API (upload, storage, the tesseract.js pool,
 * the record in PostgreSQL) against tesseract.js alone on the same image, one at a time, both asking
 * for words with boxes. Each upload differs by one pixel, so the cache never answers. Goal: p50 ≤ 1.2×.
 */
export const imagesOcr: Scenario = {
  id: 'images-ocr',
  title: 'POST /api/image/analyze?features=text, one client, against bare tesseract.js',
  targets: { maxP50Ratio: 1.2 },
  async run(load) {
    const image = await textImage(1000, 260, [
      { text: 'Quarterly budget review', x: 30, y: 100, fontSize: 56 },
      { text: 'Room 42 at noon on Friday', x: 30, y: 200, fontSize: 48 },
    ]);
    const raw = await sharp(image).raw().toBuffer({ resolveWithObject: true });
    let variant = image;
    let counter = 0;
    // A different corner pixel each time: new bytes (no cache hit), the same text.
    const nextVariant = async () => {
      const pixels = Buffer.from(raw.data);
      pixels[0] = counter++ % 256;
      pixels[1] = Math.floor(counter / 256) % 256;
      variant = await sharp(pixels, { raw: raw.info }).png().toBuffer();
      blobOf(variant);
    };
    const subject = await withImagesApp((app, token) =>
      repeat('REST app, tesseract.js pool', load, () => analyze(app, token, blobOf(variant), 'text'), nextVariant),
    );
    const worker = await createWorker('eng', OEM.LSTM_ONLY, { langPath: ENGLISH_LANG_PATH, gzip: true, cacheMethod: 'none' });
    try {
      const baseline = await repeat(
        'bare tesseract.js worker',
        load,
        async () => {
          await worker.recognize(variant, {}, { blocks: true, text: true });
        },
        nextVariant,
      );
      return { subject, baseline };
    } finally {
      await worker.terminate();
    }
  },
};

/**
 * A WebP thumbnail of a 12-megapixel JPEG (4000×3000 with grain, a few MB, like a phone's photo) through the API (features
 * metadata,thumbnail: upload, storage of the original and the thumbnail, the record) against sharp
 * alone making the same thumbnail from the same bytes. Each upload carries a different JPEG comment,
 * so the cache never answers and the pixels are the same. The API, bare sharp, the same upload with
 * features=metadata and the same form to a server that only reads it are measured turn about, a few
 * calls each per round (bench/lib/repeat.ts › interleave), all four running throughout: a machine
 * busier in one part of the run weighs on all of them alike. Goal: p50 ≤ 1.2×. The notes give the floor
 * of that ratio for a decoder that needs the upload whole, as sharp does, from the same run.
 */
export const imagesThumbnail: Scenario = {
  id: 'images-thumbnail',
  title: 'POST /api/image/analyze?features=metadata,thumbnail, 12 MP JPEG, one client, against bare sharp',
  targets: { maxP50Ratio: 1.2 },
  approximateSeconds: (load) => load.warmupSeconds + 4 * load.durationSeconds + 15,
  async run(load) {
    // Upscaled, the screenshot is smooth and compresses far better than a photo: grain makes it one (~3 MB).
    const { data, info } = await sharp(PHOTO_WITH_PERSON).resize(4000, 3000, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    const grain = Buffer.from(data.map((value) => Math.min(255, value + crypto.randomInt(24))));
    const photo = await sharp(grain, { raw: info }).jpeg({ quality: 90 }).toBuffer();
    let variant = photo;
    let counter = 0;
    const nextVariant = async () => {
      // A COM segment right after the start-of-image marker: new bytes, nothing more to decode.
      const comment = Buffer.from(`bench ${counter++}`);
      const segment = Buffer.alloc(4);
      segment.writeUInt16BE(0xfffe, 0);
      segment.writeUInt16BE(comment.length + 2, 2);
      variant = Buffer.concat([photo.subarray(0, 2), segment, comment, photo.subarray(2)]);
      blobOf(variant);
    };
    // As in the app, where every upload is new bytes: libvips' cache must not answer the baseline's repeats.
    sharp.cache(false);
    return withImagesApp((app, token) =>
      withBodyReader(async (readerUrl) => {
        // The app's analysis time over the thumbnail requests only: read before and after each of their rounds.
        const inApp = { seconds: 0, count: 0 };
        let before = { sum: 0, count: 0 };
        const [subject, baseline, uploadOnly, transport] = await interleave(load, [
          {
            label: 'REST app, sharp',
            once: () => analyze(app, token, blobOf(variant), 'metadata,thumbnail'),
            prepare: nextVariant,
            beforeRound: async () => {
              before = await analysisSeconds(app);
            },
            afterRound: async () => {
              const after = await analysisSeconds(app);
              inApp.seconds += after.sum - before.sum;
              inApp.count += after.count - before.count;
            },
          },
          {
            label: 'bare sharp',
            once: async () => {
              await sharp(variant).metadata();
              const resized = sharp(variant).rotate().resize(512, 512, { fit: 'inside', withoutEnlargement: true });
              await resized.webp({ quality: 80 }).toBuffer();
            },
            prepare: nextVariant,
          },
          // The same request without the thumbnail: what receiving, hashing and storing the bytes costs by itself.
          { label: 'REST app, metadata only', once: () => analyze(app, token, blobOf(variant), 'metadata'), prepare: nextVariant },
          // The floor under any API: the same form carried to a server that only reads it.
          { label: 'multipart POST, body read only', once: () => postForm(readerUrl, blobOf(variant)), prepare: nextVariant },
        ]);
        const bareSharpP50 = baseline!.measurement.latencyMs.p50;
        const p50 = (result: InterleavedResult) => `p50 ${result.measurement.latencyMs.p50.toFixed(1)} ms`;
        const notes = [
          `the JPEG is ${(photo.length / 1_048_576).toFixed(1)} MiB; ${subject!.rounds.length} interleaved rounds of 3 calls each ` +
            `of the API, bare sharp, the metadata-only upload and the bare body read; p50 ratio in each fifth of the run: ` +
            p50RatioByPart(subject!, baseline!).join(', '),
          `the same upload with features=metadata (no pixels decoded): ${p50(uploadOnly!)}`,
          `in the app, the wait on sharp's thumbnail and its write to storage (image_analysis_duration_seconds, from the decode's ` +
            `start): mean ${((inApp.seconds / inApp.count) * 1_000).toFixed(1)} ms over ${inApp.count} requests, of the API's mean ` +
            `${subject!.measurement.latencyMs.mean.toFixed(1)} ms`,
          `the same multipart POST to a bare node:http server that only reads the body (no app): ${p50(transport!)}`,
          // sharp takes a buffer whole (a stream is buffered to its end), so no API can start the decode
          // before the last byte is in: carrying the upload adds to the decode, whatever the app does.
          `the floor for any API whose decoder waits for the whole upload, (bare sharp + the bare body read) / bare sharp: ` +
            `${((bareSharpP50 + transport!.measurement.latencyMs.p50) / bareSharpP50).toFixed(2)}`,
        ];
        return { subject: subject!.measurement, baseline: baseline!.measurement, notes };
      }),
    );
  },
};
