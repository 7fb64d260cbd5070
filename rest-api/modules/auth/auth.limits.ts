import type { RequestHandler } from 'express';
import { consumeOrThrow, createRateLimiter } from '@shared/rateLimit.ts';
import type { Services } from '@shared/services.ts';

/**
 * Guessable endpoints (login, register) spend one point per attempt from two budgets: the client IP's
 * and the target email's, counted separately per endpoint. Either running dry answers 429 with Retry-After. The email budget is what
 * stops a password spray from many IPs against one account.
 */
export function createAuthRateLimit(services: Services, endpoint: 'login' | 'register'): RequestHandler {
  const { config, redis } = services;
  const perIp = createRateLimiter(
    { name: `${endpoint}-ip`, points: config.RATE_LIMIT_AUTH_PER_IP, durationSeconds: 60 },
    { redis, prefix: config.REDIS_PREFIX },
  );
  const perEmail = createRateLimiter(
    { name: `${endpoint}-email`, points: config.RATE_LIMIT_AUTH_PER_EMAIL, durationSeconds: 60 },
    { redis, prefix: config.REDIS_PREFIX },
  );
  return async (req, _res, next) => {
    const { email } = (req.input as { body: { email: string } }).body;
    await consumeOrThrow(perIp, req.ip ?? 'unknown');
    await consumeOrThrow(perEmail, email.toLowerCase());
    next();
  };
}
