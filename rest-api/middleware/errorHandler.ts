import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { AppError, NotFoundError, RateLimitError, UnavailableError } from '@shared/errors.ts';
import type { Logger } from '@shared/logger.ts';
import { DatabaseFailoverError } from '@shared/failover/DatabaseFailoverError.ts';
import { isFailoverError } from '@shared/failover/isFailoverError.ts';
import { IdempotencyKeyInProgressError } from '../http/idempotency/IdempotencyKeyInProgressError.ts';

/** body-parser failures, by their `type`, as the error a client can act on. */
const BODY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.parse.failed': { status: 400, code: 'malformed_json', message: 'Request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'payload_too_large', message: 'Request body exceeds the size limit' },
  'encoding.unsupported': { status: 415, code: 'unsupported_media_type', message: 'Unsupported content encoding' },
  'charset.unsupported': { status: 415, code: 'unsupported_media_type', message: 'Unsupported charset' },
};

/** What body-parser's errors (http-errors) carry besides the message; anything may be thrown, so each is unknown. */
interface HttpErrorFields {
  type?: unknown;
  status?: unknown;
  expose?: unknown;
}

/** The one place errors become responses. Unknown errors are logged and answered with a bare 500. */
export const createErrorHandler =
  (log: Logger): ErrorRequestHandler =>
  (thrown: unknown, req, res, _next) => {
    // Losing the database server (a failover under way) is worth a retry, not a 500.
    const error = isFailoverError(thrown) && !(thrown instanceof AppError) ? new DatabaseFailoverError() : thrown;
    if (error !== thrown) log.warn({ err: thrown, reqId: req.id }, 'database unavailable; answered database_failover');
    const { type, status, expose }: HttpErrorFields = typeof error === 'object' && error !== null ? error : {};
    const bodyError = typeof type === 'string' ? BODY_ERRORS[type] : undefined;
    if (bodyError) {
      res.status(bodyError.status).json({ error: { code: bodyError.code, message: bodyError.message } });
      return;
    }
    if (error instanceof AppError) {
      if (error instanceof RateLimitError || error instanceof UnavailableError || error instanceof IdempotencyKeyInProgressError)
        res.setHeader('Retry-After', String(error.retryAfterSeconds));
      res.status(error.status).json({ error: { code: error.code, message: error.message, ...error.details } });
      return;
    }
    // Client mistakes body-parser knows of but we have no entry for (aborted uploads and the like).
    if (typeof status === 'number' && status >= 400 && status < 500 && expose) {
      res.status(status).json({ error: { code: 'bad_request', message: 'Bad request' } });
      return;
    }
    log.error({ err: error, reqId: req.id }, 'unhandled error');
    res.status(500).json({ error: { code: 'internal_error', message: 'Internal error' } });
  };

/** Every path no route claims. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`No route for ${req.method} ${req.path}`));
};

/**
 * A body must be JSON — or, on a route that takes an upload (`isUploadRoute`), multipart/form-data and
 * nothing else: anything else is refused before it is read.
 */
export const requireJsonBody =
  (isUploadRoute: (req: Request) => boolean = () => false): RequestHandler =>
  (req, res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (!hasBody) return next();
    const expected = isUploadRoute(req) ? 'multipart/form-data' : 'application/json';
    if (!req.is(expected)) {
      res.status(415).json({ error: { code: 'unsupported_media_type', message: `Request body must be ${expected}` } });
      return;
    }
    next();
  };
