import type { Request, RequestHandler } from 'express';
import type { Principal } from '@shared/access/index.ts';
import { verifyAccessToken, verifyCollabToken, type TokenSettings } from '@shared/auth.ts';
import { AuthenticationError } from '@shared/errors.ts';
import type { SessionRevocations } from '@shared/sessionRevocations.ts';
import { bearerToken } from './authenticate.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /** Who asks on a route that also takes share tokens: a user, or a share link's holder. */
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
export function createAuthenticateUserOrShare(tokens: TokenSettings, revocations: SessionRevocations): RequestHandler {
  return (req, _res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) return next(new AuthenticationError());
    try {
      req.principal = verifyPrincipal(tokens, revocations, token);
      if (req.principal.type === 'user') req.actor = req.principal;
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** The principal `createAuthenticateUserOrShare` set; only for routes that use it. */
export function principalOf(req: Request): Principal {
  if (!req.principal) throw new AuthenticationError();
  return req.principal;
}

function verifyPrincipal(tokens: TokenSettings, revocations: SessionRevocations, token: string): Principal {
  try {
    const { actor, issuedAt } = verifyAccessToken(tokens, token);
    if (revocations.isRevoked(actor.id, issuedAt)) throw new AuthenticationError('Session revoked', 'session_revoked');
    return actor;
  } catch (error) {
    // A share token is signed like an access token but carries other claims: only then try it as one.
    if (!(error instanceof AuthenticationError) || error.code !== 'token_invalid') throw error;
    const { principal } = verifyCollabToken(tokens, token);
    if (principal.type !== 'share') throw error;
    return principal;
  }
}
