import PQueue from 'p-queue';
import { UnavailableError } from '@shared/errors.ts';

/**
 * The runs of one API process: at most `concurrency` at once, at most `maxWaiting` waiting for a slot.
 * Past that a run is refused at once with 503 `busy` rather than left to wait behind work this node
 * cannot finish soon; Retry-After estimates when a slot frees, from how long recent runs took.
 */
export class RunQueue {
  private readonly queue: PQueue;
  /** Moving average of recent runs' durations, in ms. */
  private averageMs = 1_000;

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {
    this.queue = new PQueue({ concurrency });
  }

  /** Runs waiting for a slot, and running. */
  get depth(): { waiting: number; running: number } {
    return { waiting: this.queue.size, running: this.queue.pending };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.queue.pending >= this.concurrency && this.queue.size >= this.maxWaiting) {
      const seconds = Math.ceil(((this.queue.size / this.concurrency + 1) * this.averageMs) / 1_000);
      throw new UnavailableError('busy', 'Too many runs are waiting on this node; try again shortly', Math.max(1, seconds));
    }
    return this.queue.add(async () => {
      const started = performance.now();
      try {
        return await task();
      } finally {
        this.averageMs = this.averageMs * 0.8 + (performance.now() - started) * 0.2;
      }
    });
  }
}
