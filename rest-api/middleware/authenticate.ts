import type { RequestHandler } from 'express';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { JWT_VERIFY_OPTIONS, actorFromClaims, toAuthenticationError, type Actor, type TokenSettings } from '@shared/auth.ts';
import { AppError, AuthenticationError } from '@shared/errors.ts';
import type { SessionRevocations } from '@shared/sessionRevocations.ts';

/**
 * Bearer-token authentication through passport-jwt, with the same verification options the collab
 * server uses. A missing token is `unauthenticated`, a lapsed one `token_expired`, anything else
 * `token_invalid`, and one issued before the user's sessions were all ended `session_revoked`.
 */
export function createAuthenticate(tokens: TokenSettings, revocations: SessionRevocations): () => RequestHandler {
  const authenticator = new passport.Passport();
  authenticator.use(
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        // passport-jwt hands this straight to jsonwebtoken, which takes a KeyObject; its types lag behind.
        secretOrKey: tokens.secret as unknown as string,
        algorithms: JWT_VERIFY_OPTIONS.algorithms,
        issuer: JWT_VERIFY_OPTIONS.issuer,
      },
      (payload: unknown, done: (error: unknown, actor?: Actor | false) => void) => {
        try {
          const actor = actorFromClaims(payload);
          if (revocations.isRevoked(actor.id, (payload as { iat?: number }).iat)) throw new AuthenticationError('Session revoked', 'session_revoked');
          done(null, actor);
        } catch (error) {
          done(error);
        }
      },
    ),
  );
  return () => (req, res, next) => {
    authenticator.authenticate('jwt', { session: false }, (error: unknown, actor: Actor | false, info: unknown) => {
      if (error) return next(error instanceof AppError ? error : toAuthenticationError(error));
      if (!actor) {
        const hasToken = Boolean(ExtractJwt.fromAuthHeaderAsBearerToken()(req));
        return next(hasToken ? toAuthenticationError(info) : new AuthenticationError());
      }
      req.actor = actor;
      next();
    })(req, res, next);
  };
}
