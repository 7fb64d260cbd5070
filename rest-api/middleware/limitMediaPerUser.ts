import type { RequestHandler } from 'express';
import { consumeOrThrow, createRateLimiter } from '@shared/rateLimit.ts';
import type { Services } from '@shared/services.ts';

/**
 * One per-user budget (RATE_LIMIT_MEDIA_PER_USER a minute) for voice and images together: each of
 * their requests keeps a core busy. Created once per app and handed to both route modules, so the
 * budget is shared with and without Redis. Runs after authentication, before the body is read.
 */
export function createLimitMediaPerUser(services: Services): RequestHandler {
  const perUser = createRateLimiter(
    { name: 'media-user', points: services.config.RATE_LIMIT_MEDIA_PER_USER, durationSeconds: 60 },
    { redis: services.redis, prefix: services.config.REDIS_PREFIX },
  );
  return async (req, _res, next) => {
    await consumeOrThrow(perUser, req.actor!.id);
    next();
  };
}
