/**
 * Hands out slot numbers 0..slots-1, one run per slot; a caller past the last slot waits its turn in order.
 * The API queues above this with its own limits; this only guarantees two runs never share a cgroup.
 */
export class SlotQueue {
  private readonly free: number[];
  private readonly waiting: { resolve: (slot: number) => void; reject: (error: Error) => void }[] = [];
  private usable: number;

  constructor(slots: number) {
    this.free = Array.from({ length: slots }, (_, slot) => slot);
    this.usable = slots;
  }

  acquire(): Promise<number> {
    if (this.usable === 0) return Promise.reject(noSlotLeft());
    const slot = this.free.shift();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  release(slot: number): void {
    const next = this.waiting.shift();
    if (next) next.resolve(slot);
    else this.free.push(slot);
  }

  /** Takes a busy slot out for good (its cgroup would not empty); when none is left, waiting and later runs fail. */
  retire(): void {
    this.usable--;
    if (this.usable > 0) return;
    for (const waiter of this.waiting.splice(0)) waiter.reject(noSlotLeft());
  }
}

function noSlotLeft(): Error {
  return new Error('no sandbox slot left: every cgroup slot kept processes that would not die (see the log)');
}
