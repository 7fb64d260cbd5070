import type { RequestHandler } from 'express';
import { verifyAccessToken, type TokenSettings } from '@shared/auth.ts';
import { AuthenticationError } from '@shared/errors.ts';
import type { SessionRevocations } from '@shared/sessionRevocations.ts';

const BEARER = /^Bearer +([^ ]+) *$/i;

/** The bearer token of a request, if it carries one. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization ? BEARER.exec(authorization)?.[1] : undefined;
}

/**
 * Bearer-token authentication: the same verification the collab server uses (shared/auth.ts, which
 * remembers tokens it has verified). A missing token is `unauthenticated`, a lapsed one
 * `token_expired`, anything else `token_invalid`, and one issued before the user's sessions were all
 * ended `session_revoked`.
 *
 * Not passport + passport-jwt, which this was first: measured on the most frequent request (an
 * authenticated read of one conversation), passport's per-request machinery cost a tenth of its
 * throughput, and passport-jwt verifies every token in full, so the verified-token cache could not apply.
 */
export function createAuthenticate(tokens: TokenSettings, revocations: SessionRevocations): () => RequestHandler {
  return () => (req, _res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) return next(new AuthenticationError());
    try {
      const { actor, issuedAt } = verifyAccessToken(tokens, token);
      if (revocations.isRevoked(actor.id, issuedAt)) throw new AuthenticationError('Session revoked', 'session_revoked');
      req.actor = actor;
      next();
    } catch (error) {
      next(error);
    }
  };
}
