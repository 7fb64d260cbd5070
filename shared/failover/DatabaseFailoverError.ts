import { UnavailableError } from '../errors.ts';

/** Seconds a client is told to wait: a failover here takes ~5 s, so a couple of retries span it. */
const RETRY_AFTER_SECONDS = 2;

/**
 * 503 `database_failover`: the writable database is being looked for (it went away, or became
 * read-only). Nothing from the failed request was acknowledged; the client may send it again.
 */
export class DatabaseFailoverError extends UnavailableError {
  constructor(message = 'The database is switching to a new primary; retry shortly') {
    super('database_failover', message, RETRY_AFTER_SECONDS);
  }
}
