/**
 * Errors that carry their HTTP status and a stable snake_case code. The code is part of the API
 * contract: clients branch on it. Both servers throw these; rest-api maps them in one place.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra public detail for the client (e.g. the failing fields of a validation error). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request is malformed or fails its schema. */
export class ValidationError extends AppError {
  constructor(message: string, details?: Record<string, unknown>, code = 'validation_failed') {
    super(400, code, message, details);
  }
}

/** 401: no identity, or one we cannot accept (`token_expired`, `token_invalid`, `invalid_credentials`). */
export class AuthenticationError extends AppError {
  constructor(message = 'Authentication required', code = 'unauthenticated') {
    super(401, code, message);
  }
}

/** 403: the actor may see the resource but not do this to it. */
export class ForbiddenError extends AppError {
  constructor(message = 'You may not do this') {
    super(403, 'forbidden', message);
  }
}

/** 404: missing, or not the actor's to see — the two are deliberately indistinguishable. */
export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super(404, 'not_found', message);
  }
}

/** 409: the request conflicts with existing state (e.g. an email already registered). */
export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}

/** 413: a field of the body is over its size limit (the body as a whole is body-parser's 413). */
export class TooLargeError extends AppError {
  constructor(message: string, code = 'too_large') {
    super(413, code, message);
  }
}

/** 503: the service is there but cannot take this now (`busy`); `retryAfterSeconds` becomes Retry-After. */
export class UnavailableError extends AppError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(503, code, message);
  }
}

/** 429: too many attempts; `retryAfterSeconds` becomes the Retry-After header. */
export class RateLimitError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'rate_limited', 'Too many attempts, try again later');
  }
}
