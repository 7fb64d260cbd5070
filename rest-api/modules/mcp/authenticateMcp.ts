import type { RequestHandler } from 'express';
import type { Principal } from '@shared/access/index.ts';
import type { AccessTokenVerifier } from '@shared/accessTokens.ts';
import { readCollabToken, type TokenSettings } from '@shared/auth.ts';
import { AuthenticationError } from '@shared/errors.ts';
import { bearerToken } from '../../middleware/authenticate.ts';
import { isApiKey } from '../serviceAccounts/apiKeys.ts';
import type { ServiceAccountKeys } from '../serviceAccounts/ServiceAccountKeys.ts';

interface Deps {
  tokens: TokenSettings;
  accessTokens: AccessTokenVerifier;
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
        res.setHeader('WWW-Authenticate', `Bearer error="${error.code === 'unauthenticated' ? 'invalid_request' : 'invalid_token'}"`);
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
