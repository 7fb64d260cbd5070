import { Worker } from 'node:worker_threads';

const WORKER_URL = new URL('./sha256Worker.js', import.meta.url);

/** One stream's SHA-256, computed on the hashing thread. */
export interface ThreadHash {
  /** Hands the thread a copy of `chunk`: the caller may reuse its memory at once. */
  update(chunk: Uint8Array): void;
  /** The hex SHA-256 of everything updated; call once, at the end. */
  digest(): Promise<string>;
  /** Forgets the hash without a digest: the stream failed. */
  drop(): void;
}

interface Pending {
  resolve: (hex: string) => void;
  reject: (error: Error) => void;
}

/**
 * SHA-256 of stored bytes, computed on a worker thread rather than on the event loop. Every object is
 * hashed as it streams into storage; on the loop that cost ~1 ms of CPU per MB received (a 2.6 MiB photo
 * is hashed twice, by the image upload sink and by the store: ~5 ms in which no other request ran), and a
 * multi-gigabyte backup held the loop for seconds. Here the loop only copies each chunk (memcpy, ~10×
 * cheaper than hashing it) and posts it; hashing runs beside it. (The thumbnail benchmark, its client on
 * the same two cores, measured even: the gain is the loop's, not one upload's.)
 *
 * One thread for the process, started on first use and restarted after a failure; it never keeps the
 * process alive except while a digest is awaited. A hash started on a thread that has since failed
 * rejects its digest rather than answer for part of its bytes.
 */
export class HashingThread {
  private worker?: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  begin(): ThreadHash {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    let isDone = false;
    // A hash outliving its worker (failed, closed: a new one may run since) cannot be digested.
    const isCurrent = () => this.worker === worker;
    return {
      update: (chunk) => {
        if (!isCurrent()) return;
        const bytes = new Uint8Array(chunk.byteLength);
        bytes.set(chunk);
        worker.postMessage({ type: 'update', id, bytes }, [bytes.buffer]);
      },
      digest: () => {
        if (isDone) return Promise.reject(new Error('this hash was already digested or dropped'));
        isDone = true;
        if (!isCurrent()) return Promise.reject(new Error('the hashing thread failed while this stream was hashed'));
        return new Promise<string>((resolve, reject) => {
          if (this.pending.size === 0) worker.ref();
          this.pending.set(id, { resolve, reject });
          worker.postMessage({ type: 'digest', id });
        });
      },
      drop: () => {
        if (isDone) return;
        isDone = true;
        if (isCurrent()) worker.postMessage({ type: 'drop', id });
      },
    };
  }

  /** Stops the thread: hashes under way reject their digests; the next `begin` starts a new one. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.fail(worker, new Error('the hashing thread was closed'));
    await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_URL);
    worker.unref();
    worker.on('message', ({ id, hex }: { id: number; hex: string }) => {
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
      waiting?.resolve(hex);
    });
    worker.on('error', (error) => this.fail(worker, error));
    worker.on('exit', (code) => this.fail(worker, new Error(`the hashing thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** Ends `worker`'s hashes: their digests reject, and the next `begin` starts a new thread. */
  private fail(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

/** The process's hashing thread. */
export const hashingThread = new HashingThread();
