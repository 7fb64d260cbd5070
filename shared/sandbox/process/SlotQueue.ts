/**
 * Hands out slot numbers 0..slots-1, one run per slot; a caller past the last slot waits its turn in order.
 * The API queues above this with its own limits; this only guarantees two runs never share a cgroup.
 */
export class SlotQueue {
  private readonly free: number[];
  private readonly waiting: ((slot: number) => void)[] = [];

  constructor(slots: number) {
    this.free = Array.from({ length: slots }, (_, slot) => slot);
  }

  acquire(): Promise<number> {
    const slot = this.free.shift();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(slot: number): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.free.push(slot);
  }
}
