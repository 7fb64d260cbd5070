import { setTimeout as sleep } from 'node:timers/promises';
import { primaryResolverOf, type Db } from '../db.ts';
import { isFailoverError } from './isFailoverError.ts';

/** Tries after the first, each after a pause twice as long as the last: 1 + 2 + 4 + 8 s covers a failover's write gap. */
const RETRIES = 4;

/**
 * Runs work that no client waits on — nobody to answer 503 and send it again, like the pushes queued
 * after a message is stored — and runs it again when the database server was lost under it: after a
 * pause, and once the writable server is found again when DATABASE_URL names several. The work must be
 * safe to run twice (it claims what it does in its own transaction). Any other error, or a lost server
 * on the last try, is thrown.
 */
export async function retryAfterFailover<T>(db: Db, work: () => Promise<T>, firstPauseMs = 1_000): Promise<T> {
  for (let retry = 0; ; retry += 1) {
    try {
      return await work();
    } catch (error) {
      if (retry >= RETRIES || !isFailoverError(error)) throw error;
      await sleep(firstPauseMs * 2 ** retry);
      // Waits out the search for the new primary; one not found in time is the next try's failure.
      await primaryResolverOf(db)
        ?.primary()
        .catch(() => undefined);
    }
  }
}
