import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `isDone` every `intervalMs` until it answers true; rejects once `timeoutMs` has passed. */
export async function waitUntil(isDone: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await isDone()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}
