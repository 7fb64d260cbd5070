import type { RequestHandler } from 'express';
import { UnavailableError } from '@shared/errors.ts';
import type { Services } from '@shared/services.ts';
import { isInPlaceRestoreRunning } from './inPlaceRestoreLock.ts';

/** What a client is told to wait before trying a write again. */
const RETRY_AFTER_SECONDS = 30;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * While an in-place restore runs on any node, every request that could write answers 503 `read_only_restore` with
 * Retry-After: a write made then would be lost to the restore, or half-kept. Reads go on (those that touch the data
 * wait for the restore's transaction). On the embedded database there is no in-place restore through the API.
 */
export function rejectWritesDuringRestore(services: Pick<Services, 'config' | 'db'>): RequestHandler {
  if (!services.config.DATABASE_URL) return (_req, _res, next) => next();
  return (req, _res, next) => {
    if (READS.has(req.method)) return next();
    isInPlaceRestoreRunning(services.db).then(
      (isRunning) =>
        next(
          isRunning
            ? new UnavailableError(
                'read_only_restore',
                'A restore is replacing the database; the API is read-only until it ends',
                RETRY_AFTER_SECONDS,
              )
            : undefined,
        ),
      next,
    );
  };
}
