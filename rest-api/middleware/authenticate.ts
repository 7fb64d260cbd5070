import type { RequestHandler } from 'express';
import type { AccessTokenVerifier } from '@shared/accessTokens.ts';
import { AuthenticationError } from '@shared/errors.ts';

const BEARER = /^Bearer +([^ ]+) *$/i;

/** The bearer token of a request, if it carries one. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization ? BEARER.exec(authorization)?.[1] : undefined;
}

/**
 * Bearer-token authentication: the same check the collab server uses (shared/accessTokens.ts, which
 * remembers tokens it has checked). A missing token is `unauthenticated`, a lapsed one
 * `token_expired`, one of an ended session `session_revoked`, anything else — a user that does not
 * exist included — `token_invalid`.
 *
 * Not passport + passport-jwt, which this was first: measured on the most frequent request (an
 * authenticated read of one conversation), passport's per-request machinery cost a tenth of its
 * throughput, and passport-jwt verifies every token in full, so the checked-token cache could not apply.
 */
export function createAuthenticate(accessTokens: AccessTokenVerifier): () => RequestHandler {
  return () => (req, _res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) return next(new AuthenticationError());
    accessTokens.verify(token).then(
      ({ actor }) => {
        req.actor = actor;
        next();
      },
      next,
    );
  };
}
