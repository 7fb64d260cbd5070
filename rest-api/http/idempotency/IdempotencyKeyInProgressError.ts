import { ConflictError } from '@shared/errors.ts';

/**
 * 409 `idempotency_key_in_progress` with Retry-After: another request holds this key's claim — it is
 * still running, or it took the key over from this one after this one's lease ran out.
 */
export class IdempotencyKeyInProgressError extends ConflictError {
  readonly retryAfterSeconds = 1;

  constructor() {
    super('A request with this Idempotency-Key is still being served; try again shortly', 'idempotency_key_in_progress');
  }
}
