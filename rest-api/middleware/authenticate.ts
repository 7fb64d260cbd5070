import type { AccessTokenVerifier } from '@shared/accessTokens.ts';
import { AuthenticationError, ForbiddenError } from '@shared/errors.ts';
import type { Authenticate } from '../http/apiRouter.ts';
import { isApiKey } from '../modules/serviceAccounts/apiKeys.ts';
import type { ServiceAccountKeys } from '../modules/serviceAccounts/ServiceAccountKeys.ts';

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
 * A token starting `twk_` is a service account's API key (a JWT starts `eyJ`, so the two never
 * collide): checked by ServiceAccountKeys (unknown or revoked: `token_invalid`), then let through only
 * where the route takes keys (`apiKeys`) — elsewhere a working key gets 403 `forbidden`, as a key that
 * may not do this rather than a credential to renew. On such routes `req.principal` says who called.
 *
 * Not passport + passport-jwt, which this was first: measured on the most frequent request (an
 * authenticated read of one conversation), passport's per-request machinery cost a tenth of its
 * throughput, and passport-jwt verifies every token in full, so the checked-token cache could not apply.
 */
export function createAuthenticate(accessTokens: AccessTokenVerifier, serviceAccountKeys: ServiceAccountKeys): Authenticate {
  return ({ apiKeys }) =>
    (req, _res, next) => {
      const token = bearerToken(req.headers.authorization);
      if (!token) return next(new AuthenticationError());
      if (isApiKey(token)) {
        serviceAccountKeys.verify(token).then((principal) => {
          if (!apiKeys) return next(new ForbiddenError('API keys cannot use this route; it is for people, with their own access token'));
          req.principal = principal;
          next();
        }, next);
        return;
      }
      accessTokens.verify(token).then(({ actor }) => {
        req.actor = actor;
        req.principal = actor;
        next();
      }, next);
    };
}
