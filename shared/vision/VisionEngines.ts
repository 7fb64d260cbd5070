import type { ImageAnnotatorClient } from '@google-cloud/vision';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { googleClientOptions, optionsForOneClient, type GoogleClientOptions } from '../cloud/google.ts';
import { createOpenAI, type LazyOpenAI } from '../cloud/openai.ts';
import { withFallback, type EngineFailure, type Engine } from '../cloud/withFallback.ts';
import { annotateWithGoogle, type GoogleAnnotations } from './cloud/annotateWithGoogle.ts';
import { cloudImage, type CloudImage } from './cloud/cloudImage.ts';
import { describeWithOpenAI } from './cloud/describeWithOpenAI.ts';
import { readImageHeader, type ImageMetadata } from './decodeImage.ts';
import { describeLocally } from './describeLocally.ts';
import { makeThumbnail } from './makeThumbnail.ts';
import { ObjectDetector } from './objects/ObjectDetector.ts';
import { OcrPool } from './ocr/OcrPool.ts';
import { recognizeText } from './ocr/recognizeText.ts';
import type { DetectedObject, RecognizedWord } from './types.ts';

/** What an analysis can be asked for. */
export const IMAGE_FEATURES = ['metadata', 'thumbnail', 'text', 'objects', 'description'] as const;
export type ImageFeature = (typeof IMAGE_FEATURES)[number];

/** Everything an analysis found; features not asked for stay empty. */
export interface ImageAnalysisResult {
  metadata: ImageMetadata;
  /** WebP bytes, when asked for. */
  thumbnail?: Buffer;
  text: string;
  words: RecognizedWord[];
  objects: DetectedObject[];
  /** Short names of what the image shows, from a cloud engine (none locally). */
  labels: string[];
  description: string;
  /** The engine that produced each feature asked for. */
  engines: Partial<Record<ImageFeature, string>>;
  /** Cloud engines that failed, and why, before a later engine answered. */
  fallbacks: EngineFailure[];
}

type VisionConfig = Pick<
  Config,
  | 'IMAGE_MAX_PIXELS'
  | 'OCR_WORKERS'
  | 'OCR_WORKER_RECYCLE_AFTER'
  | 'OPENAI_API_KEY'
  | 'OPENAI_BASE_URL'
  | 'OPENAI_VISION_MODEL'
  | 'GOOGLE_APPLICATION_CREDENTIALS'
  | 'GOOGLE_API_ENDPOINT'
  | 'CLOUD_ENGINE_TIMEOUT_MS'
>;

/**
 * The image engines of one process: sharp (metadata, thumbnails), a tesseract.js pool (text), centernet
 * in a worker thread (objects), and, when configured, OpenAI (descriptions) and Google Vision (text,
 * objects, labels) ahead of the local ones, each held to CLOUD_ENGINE_TIMEOUT_MS. Local engines start
 * on first use or `warmUp()`.
 */
export class VisionEngines {
  readonly ocr: OcrPool;
  readonly objects: ObjectDetector;
  private readonly openai?: LazyOpenAI;
  private readonly googleOptions?: GoogleClientOptions;
  private google?: Promise<ImageAnnotatorClient>;

  constructor(
    private readonly config: VisionConfig,
    private readonly log: Logger,
    /** Replaces the Google client options from the configuration (tests: an insecure channel to a stand-in). */
    googleOptions?: GoogleClientOptions,
  ) {
    this.ocr = new OcrPool({ size: config.OCR_WORKERS, recycleAfter: config.OCR_WORKER_RECYCLE_AFTER, log });
    this.objects = new ObjectDetector(log);
    this.openai = createOpenAI(config);
    this.googleOptions = googleOptions ?? googleClientOptions(config);
    // Loaded only when Google is configured (a second or two, which others need not pay), and from
    // now, not at the first request, whose cloud deadline would otherwise pay for it.
    if (this.googleOptions) this.googleClient().catch(() => {});
  }

  /**
   * Analyses an image for `features`. Refuses before decoding anything an image with too many pixels
   * (413 `image_too_large`) or bytes that are no image (400 `image_invalid`); a truncated file fails
   * with `image_invalid` when its pixels are needed. `onProgress` hears 0–1 as features finish;
   * `header` is what readImageHeader already said of these bytes, if the caller asked it; `thumbnail`,
   * makeThumbnail of these bytes, if the caller already started it.
   */
  async analyze(
    bytes: Buffer,
    features: readonly ImageFeature[],
    options: { onProgress?: (fraction: number) => Promise<void>; header?: ImageMetadata; thumbnail?: Promise<Buffer> } = {},
  ): Promise<ImageAnalysisResult> {
    const maxPixels = this.config.IMAGE_MAX_PIXELS;
    const metadata = options.header ?? (await readImageHeader(bytes, maxPixels));
    const onProgress = options.onProgress ?? (async () => undefined);
    const wants = (feature: ImageFeature) => features.includes(feature);
    const engines: ImageAnalysisResult['engines'] = { ...(wants('metadata') ? { metadata: 'sharp' } : {}) };
    const fallbacks: EngineFailure[] = [];
    const steps = features.filter((feature) => feature !== 'metadata').length;
    let done = 0;
    const finished = async () => onProgress(++done / Math.max(1, steps));
    const fallback = { timeoutMs: this.config.CLOUD_ENGINE_TIMEOUT_MS, log: this.log };

    const toCloud = once(() => cloudImage(bytes, metadata, maxPixels));
    const fromGoogle = once(() => this.annotateWithGoogle(toCloud, metadata, features));
    const run = async <T>(feature: ImageFeature, chain: Array<Engine<T> | undefined>): Promise<T | undefined> => {
      if (!wants(feature)) return undefined;
      const result = await withFallback(
        chain.filter((engine): engine is Engine<T> => engine !== undefined),
        fallback,
      );
      engines[feature] = result.engine;
      fallbacks.push(...result.fallbacks);
      await finished();
      return result.value;
    };
    const googleEngine = <T>(pick: (found: GoogleAnnotations) => T): Engine<T> | undefined =>
      this.googleOptions ? { name: 'google', run: async () => pick(await fromGoogle()) } : undefined;

    const [thumbnail, text, objects] = await Promise.all([
      run('thumbnail', [{ name: 'sharp', run: () => options.thumbnail ?? makeThumbnail(bytes, maxPixels) }]),
      run('text', [
        googleEngine((found) => found.text),
        { name: 'tesseract', run: () => recognizeText(this.ocr, bytes, metadata, maxPixels) },
      ]),
      run('objects', [
        googleEngine((found) => found.objects),
        { name: 'centernet', run: () => this.objects.detect(bytes, metadata, maxPixels) },
      ]),
    ]);
    const openai = this.openai;
    const described = await run('description', [
      openai && {
        name: 'openai',
        run: async (signal: AbortSignal) =>
          describeWithOpenAI(await openai(), this.config.OPENAI_VISION_MODEL, (await toCloud()).jpeg, signal),
      },
      { name: 'local', run: async () => ({ description: describeLocally(metadata, { text: text?.text, objects }), labels: [] }) },
    ]);
    const googleLabels =
      this.googleOptions && (wants('text') || wants('objects'))
        ? await fromGoogle().then(
            (found) => found.labels,
            () => [],
          )
        : [];
    return {
      metadata,
      thumbnail,
      text: text?.text ?? '',
      words: text?.words ?? [],
      objects: objects ?? [],
      labels: described?.labels.length ? described.labels : googleLabels,
      description: described?.description ?? '',
      engines,
      fallbacks,
    };
  }

  /** Starts an OCR worker and loads the object model, so the first image does not wait for them. */
  async warmUp(): Promise<void> {
    await Promise.all([this.ocr.warmUp(), this.objects.warmUp()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.ocr.close(), this.objects.close(), this.google?.then((client) => client.close())]);
  }

  private googleClient(): Promise<ImageAnnotatorClient> {
    return (this.google ??= import('@google-cloud/vision').then(
      ({ ImageAnnotatorClient }) => new ImageAnnotatorClient(optionsForOneClient(this.googleOptions!)),
    ));
  }

  private async annotateWithGoogle(image: () => Promise<CloudImage>, metadata: ImageMetadata, features: readonly ImageFeature[]) {
    return annotateWithGoogle(await this.googleClient(), await image(), metadata, {
      text: features.includes('text'),
      objects: features.includes('objects'),
      labels: true,
      timeoutMs: this.config.CLOUD_ENGINE_TIMEOUT_MS,
    });
  }
}

/** A function that runs `make` once, on first call, and answers every call with that promise. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= make());
}
