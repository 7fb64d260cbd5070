import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { RateLimitError } from './errors.ts';

/** A named limit: `points` attempts per `durationSeconds`. */
export interface LimitSpec {
  name: string;
  points: number;
  durationSeconds: number;
}

/**
 * A limiter in Redis when the deployment has one (so every node counts together), in memory otherwise.
 * Keys are namespaced by the deployment prefix and the limit's name.
 */
export function createRateLimiter(spec: LimitSpec, options: { redis?: Redis; prefix: string }): RateLimiterAbstract {
  const common = { keyPrefix: `${options.prefix}rl:${spec.name}`, points: spec.points, duration: spec.durationSeconds };
  return options.redis
    ? new RateLimiterRedis({ ...common, storeClient: options.redis, useRedisPackage: false })
    : new RateLimiterMemory(common);
}

/** Spends one point; throws RateLimitError (429 with Retry-After) when the key has none left. */
export async function consumeOrThrow(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      throw new RateLimitError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    }
    throw rejection;
  }
}
