import { describe, expect, it } from '@jest/globals';
import { UnavailableError } from '@shared/errors.ts';
import { RunQueue } from './RunQueue.ts';

/** A task that runs until `finish` is called. */
function heldTask() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  let started = false;
  return {
    task: async () => {
      started = true;
      await done;
      return 'ran';
    },
    finish: () => finish(),
    get started() {
      return started;
    },
  };
}

describe('RunQueue', () => {
  it('runs at most `concurrency` tasks at once, queues up to `maxWaiting`, and refuses the next with 503 busy', async () => {
    const queue = new RunQueue(2, 1);
    const [a, b, c] = [heldTask(), heldTask(), heldTask()];
    const running = [queue.run(a.task), queue.run(b.task)];
    const waiting = queue.run(c.task);
    expect(queue.depth).toEqual({ running: 2, waiting: 1 });
    expect(c.started).toBe(false);

    const refused = queue.run(async () => 'never');
    await expect(refused).rejects.toBeInstanceOf(UnavailableError);
    await expect(refused).rejects.toMatchObject({ status: 503, code: 'busy', retryAfterSeconds: expect.any(Number) });

    a.finish();
    await expect(running[0]).resolves.toBe('ran');
    // The waiting task takes the freed slot.
    for (let i = 0; i < 100 && !c.started; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(c.started).toBe(true);
    b.finish();
    c.finish();
    await expect(Promise.all([running[1], waiting])).resolves.toEqual(['ran', 'ran']);
    expect(queue.depth).toEqual({ running: 0, waiting: 0 });
  });

  it('with no waiting room, refuses as soon as every slot is taken, and a failed task frees its slot', async () => {
    const queue = new RunQueue(1, 0);
    await expect(queue.run(async () => Promise.reject(new Error('program crashed')))).rejects.toThrow('program crashed');
    const held = heldTask();
    const running = queue.run(held.task);
    await expect(queue.run(async () => 'never')).rejects.toMatchObject({ code: 'busy' });
    held.finish();
    await expect(running).resolves.toBe('ran');
    await expect(queue.run(async () => 'next')).resolves.toBe('next');
  });
});
