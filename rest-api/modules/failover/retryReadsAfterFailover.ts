import type { ErrorRequestHandler, Request, Router } from 'express';
import { primaryResolverOf, type Db } from '@shared/db.ts';
import { isFailoverError } from '@shared/failover/isFailoverError.ts';

/**
 * The last handler of the API router: a read (GET, HEAD) that failed because the database primary was
 * lost under it runs once more, through the same router, as soon as the writable server is found
 * again — the client sees the answer, not a 503. Writes are not retried here (only the client knows
 * whether sending one again is safe; it gets 503 database_failover and Retry-After). A read that fails
 * again, or whose answer had begun, goes on to the error handler.
 */
export function retryReadsAfterFailover(db: Db, router: Router): ErrorRequestHandler {
  const retried = new WeakSet<Request>();
  return (error: unknown, req, res, next) => {
    const resolver = primaryResolverOf(db);
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    if (!resolver || !isRead || res.headersSent || retried.has(req) || !isFailoverError(error)) return next(error);
    retried.add(req);
    resolver.primary().then(
      () => router(req, res, next),
      () => next(error),
    );
  };
}
