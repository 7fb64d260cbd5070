import { AppError } from '@shared/errors.ts';

/**
 * What a hook throws to refuse a connection. Hocuspocus sends the provider `error.reason` as the
 * permission-denied reason (ClientConnection.ts › handleQueueingMessage), so the reason is our stable
 * AppError code (`token_expired`, `not_found`, …) and clients branch on it. Anything that is not an
 * AppError becomes `internal_error`: its message never reaches the client.
 *
 * The message is empty on purpose: Hocuspocus `console.error`s every hook error that has one
 * (Hocuspocus.ts › hooks()). Our extensions log the refusal through pino instead.
 */
export class CollabRefusal extends Error {
  /** The AppError code the provider receives in `authenticationFailed`. */
  readonly reason: string;

  constructor(cause: unknown) {
    super('', { cause });
    this.name = 'CollabRefusal';
    this.reason = cause instanceof AppError ? cause.code : 'internal_error';
  }
}
