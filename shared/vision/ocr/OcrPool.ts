import { createRequire } from 'node:module';
import path from 'node:path';
import { createWorker, OEM, type Page, type Worker } from 'tesseract.js';
import type { Logger } from '../../logger.ts';

/**
 * The English LSTM model shipped in @tesseract.js-data/eng, read from disk. A plain directory path
 * (not a URL) makes tesseract.js read the file instead of fetching it; without langPath it would
 * download from jsdelivr.
 */
export const ENGLISH_LANG_PATH = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@tesseract.js-data/eng')),
  '4.0.0_best_int',
);

interface PooledWorker {
  /** Increasing per pool, so tests and logs can tell a replacement from the worker it replaced. */
  id: number;
  worker: Worker;
  jobs: number;
}

/**
 * A few tesseract.js workers (each its own worker thread, so OCR never blocks the event loop), each
 * replaced after `recycleAfter` images. tesseract.js workers grow with every image they read, and its
 * maintainers' advice is to terminate workers periodically and create new ones rather than keep one
 * for ever (naptha/tesseract.js#977, #678, #1045); a fresh worker also forgets what it "learned" from
 * earlier, unrelated images (#977). Workers start on first use.
 */
export class OcrPool {
  private readonly idle: PooledWorker[] = [];
  private readonly waiting: Array<{ resolve: (worker: PooledWorker) => void; reject: (error: unknown) => void }> = [];
  private started = 0;
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly options: {
      /** Workers at most (OCR_WORKERS). */
      size: number;
      /** Images a worker reads before it is replaced (OCR_WORKER_RECYCLE_AFTER). */
      recycleAfter: number;
      log: Logger;
    },
  ) {}

  /** Reads the words of an encoded image (PNG, JPEG…), on the first free worker; `workerId` says which. */
  async recognize(image: Buffer): Promise<{ page: Page; workerId: number }> {
    const pooled = await this.acquire();
    try {
      // tesseract.js 7 leaves blocks (and so words) out unless asked.
      const { data } = await pooled.worker.recognize(image, {}, { blocks: true, text: true });
      return { page: data, workerId: pooled.id };
    } finally {
      pooled.jobs++;
      this.release(pooled);
    }
  }

  /** Starts one worker ahead of the first request (loading the model takes about a second). */
  async warmUp(): Promise<void> {
    if (this.started > 0) return;
    this.release(await this.acquire());
  }

  /** Terminates every worker; requests still waiting are never served. */
  async close(): Promise<void> {
    this.closed = true;
    const workers = this.idle.splice(0);
    await Promise.all(workers.map((pooled) => pooled.worker.terminate().catch(() => undefined)));
  }

  private async acquire(): Promise<PooledWorker> {
    if (this.closed) throw new Error('the OCR pool is closed');
    const free = this.idle.pop();
    if (free) return free;
    if (this.started < this.options.size) {
      this.started++;
      try {
        return await this.startWorker();
      } catch (error) {
        this.started--;
        throw error;
      }
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(pooled: PooledWorker): void {
    if (pooled.jobs >= this.options.recycleAfter || this.closed) {
      void pooled.worker.terminate().catch((error: unknown) => this.options.log.warn({ err: error }, 'OCR worker did not terminate'));
      this.options.log.debug({ workerId: pooled.id, jobs: pooled.jobs }, 'OCR worker recycled');
      if (this.closed) {
        this.started--;
        return;
      }
      // The replacement starts now rather than when the next image asks: loading the model takes
      // ~0.5 s, which then overlaps the wait between requests.
      this.startWorker().then(
        (fresh) => this.release(fresh),
        (error: unknown) => {
          this.started--;
          this.options.log.error({ err: error }, 'OCR worker did not start');
          this.waiting.shift()?.reject(error);
        },
      );
      return;
    }
    const next = this.waiting.shift();
    if (next) next.resolve(pooled);
    else this.idle.push(pooled);
  }

  private async startWorker(): Promise<PooledWorker> {
    const worker = await createWorker('eng', OEM.LSTM_ONLY, {
      langPath: ENGLISH_LANG_PATH,
      gzip: true,
      // Read the model from the package each time; never write a cached copy into the working directory.
      cacheMethod: 'none',
    });
    return { id: this.nextId++, worker, jobs: 0 };
  }
}
