import type { Request, RequestHandler } from 'express';
import type { Principal } from '@shared/access/index.ts';
import type { AccessTokenVerifier } from '@shared/accessTokens.ts';
import { readCollabToken, type TokenSettings } from '@shared/auth.ts';
import { AuthenticationError } from '@shared/errors.ts';
import { bearerToken } from './authenticate.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /**
     * Who asks: a user, and on the routes that take them, a share link's holder (authenticateUserOrShare)
     * or a service account (authenticate, `apiKeys` routes).
     */
    principal?: Principal;
  }
}

/**
 * Bearer authentication that also takes a share token (the one `POST /api/share/:id/view` hands out),
 * for the few read routes a share viewer needs — downloading an attachment of the shared conversation.
 * The token travels in the Authorization header, never the URL, where logs, history and Referer
 * headers would keep it. A share token grants nothing by itself: the route still asks the access model,
 * which checks the share as stored now (revoked or expired shares stop at once).
 */
export function createAuthenticateUserOrShare(tokens: TokenSettings, accessTokens: AccessTokenVerifier): RequestHandler {
  return (req, _res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) return next(new AuthenticationError());
    verifyPrincipal(tokens, accessTokens, token).then((principal) => {
      req.principal = principal;
      if (principal.type === 'user') req.actor = principal;
      next();
    }, next);
  };
}

/** The principal `createAuthenticateUserOrShare` set; only for routes that use it. */
export function principalOf(req: Request): Principal {
  if (!req.principal) throw new AuthenticationError();
  return req.principal;
}

/** A share token as it is; an access token through the same check as every other route's. */
async function verifyPrincipal(tokens: TokenSettings, accessTokens: AccessTokenVerifier, token: string): Promise<Principal> {
  const read = readCollabToken(tokens, token);
  if (read.kind === 'share') return read.principal;
  return (await accessTokens.verify(token)).actor;
}
