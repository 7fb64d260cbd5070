import type { RequestHandler } from 'express';
import type { Principal } from '@shared/access/index.ts';
import type { AccessTokenVerifier } from '@shared/accessTokens.ts';
import { readCollabToken, type TokenSettings } from '@shared/auth.ts';
import { AuthenticationError } from '@shared/errors.ts';
import { bearerToken } from '../../middleware/authenticate.ts';
import { isApiKey } from '../serviceAccounts/apiKeys.ts';
import type { ServiceAccountKeys } from '../serviceAccounts/ServiceAccountKeys.ts';

interface Deps {
  /** Verifies share tokens (and tells them from access tokens). */
  tokens: TokenSettings;
  /** The access-token check every REST route uses, sessions and revocations included. */
  accessTokens: AccessTokenVerifier;
  /** The app's one ServiceAccountKeys, which forgets revoked keys as the bus tells it. */
  serviceAccountKeys: ServiceAccountKeys;
}

/**
 * Who calls `/mcp`: the credentials REST takes, each checked as REST checks it — a person's access token
 * (shared/accessTokens.ts), a service account's API key (ServiceAccountKeys), or a share token as share
 * viewers use it (authenticateUserOrShare.ts), which grants nothing by itself: each tool asks the access
 * model, which reads the share as stored now. Refused before the MCP layer, as 401 with
 * `WWW-Authenticate: Bearer` (what MCP clients look for) and the usual `{ error }` body.
 */
export function createAuthenticateMcp({ tokens, accessTokens, serviceAccountKeys }: Deps): RequestHandler {
  return (req, res, next) => {
    verify(req.headers.authorization).then(
      (principal) => {
        req.principal = principal;
        if (principal.type === 'user') req.actor = principal;
        next();
      },
      (error: unknown) => {
        if (!(error instanceof AuthenticationError)) return next(error);
        // RFC 6750 §3.1: no error code when no credential was sent at all; `invalid_token` for one that fails.
        res.setHeader('WWW-Authenticate', error.code === 'unauthenticated' ? 'Bearer' : 'Bearer error="invalid_token"');
        res.status(401).json({ error: { code: error.code, message: error.message } });
      },
    );
  };

  async function verify(authorization: string | undefined): Promise<Principal> {
    const token = bearerToken(authorization);
    if (!token) throw new AuthenticationError();
    if (isApiKey(token)) return serviceAccountKeys.verify(token);
    const read = readCollabToken(tokens, token);
    if (read.kind === 'share') return read.principal;
    return (await accessTokens.verify(token)).actor;
  }
}
