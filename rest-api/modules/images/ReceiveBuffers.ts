/**
 * Buffers that uploads are received into, reused from one upload to the next. A 12-megapixel photo is
 * a few MB, and sharp holds it for the whole request: received into a fresh Buffer each time, it lived
 * through a scavenge, was promoted, and only a mark-compact of the app's whole heap (~80 MB) could free
 * it. Every few uploads V8 ran one for "external memory pressure" — tens of ms of pause, and as much
 * again of marking — which measured ~30 ms of CPU per 12 MP thumbnail request (89 → 60 ms with reuse).
 * A buffer that is reused is never garbage.
 *
 * `take` hands out an idle buffer, or a new one when all are lent (more uploads at once than `keep`);
 * `give` takes it back, keeping at most `keep` idle. A buffer given back must no longer be read by
 * anyone — sharp included — since the next upload overwrites it.
 */
export class ReceiveBuffers {
  private readonly idle: Buffer[] = [];

  constructor(
    /** Bytes in each buffer: an upload longer than this is received the ordinary way. */
    readonly capacity: number,
    /** Idle buffers kept for reuse; each is `capacity` bytes of address space, resident only as far as uploads filled it. */
    private readonly keep: number,
  ) {}

  /** A buffer of `capacity` bytes whose contents are whatever the last upload left. */
  take(): Buffer {
    return this.idle.pop() ?? Buffer.allocUnsafeSlow(this.capacity);
  }

  /** Takes back a buffer from `take`, once nothing reads or writes it any more. */
  give(buffer: Buffer): void {
    if (this.idle.length < this.keep && !this.idle.includes(buffer)) this.idle.push(buffer);
  }

  /** Idle buffers, for tests. */
  get idleCount(): number {
    return this.idle.length;
  }
}
