import type { Request } from 'express';
import { isOperator } from '@shared/operators.ts';
import type { Services } from '@shared/services.ts';
import { bearerToken } from '../../middleware/authenticate.ts';
import { isApiKey } from '../serviceAccounts/apiKeys.ts';

/** How long the operator check may take on a public route: the answer must not wait out a failover. */
const CHECK_TIMEOUT_MS = 1_000;

/**
 * Whether a request to a public route carries a deployment operator's access token. Anything else — no
 * token, a bad one, an API key, or a database that does not answer in time — reads as "not an
 * operator": the caller then gets the public view, never an error.
 */
export async function isCallerOperator(req: Request, services: Pick<Services, 'accessTokens' | 'db'>): Promise<boolean> {
  const token = bearerToken(req.headers.authorization);
  if (!token || isApiKey(token)) return false;
  const check = services.accessTokens.verify(token).then(({ actor }) => isOperator(services.db, actor.id));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
