import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '@shared/config.ts';
import { consumeOrThrow, createRateLimiter } from '@shared/rateLimit.ts';
import type { Services } from '@shared/services.ts';

const WINDOW_SECONDS = 15 * 60;

/** The two budgets a password guess spends from: the share's, and the client IP's across all shares. */
export interface SharePasswordLimits {
  perShare: RateLimiterAbstract;
  perIp: RateLimiterAbstract;
}

export function createSharePasswordLimits(
  services: Pick<Services, 'redis'> & { config: Pick<Config, 'REDIS_PREFIX' | 'RATE_LIMIT_SHARE_PASSWORD_PER_SHARE' | 'RATE_LIMIT_SHARE_PASSWORD_PER_IP'> },
): SharePasswordLimits {
  const { config, redis } = services;
  const options = { redis, prefix: config.REDIS_PREFIX };
  return {
    perShare: createRateLimiter({ name: 'share-password', points: config.RATE_LIMIT_SHARE_PASSWORD_PER_SHARE, durationSeconds: WINDOW_SECONDS }, options),
    perIp: createRateLimiter({ name: 'share-password-ip', points: config.RATE_LIMIT_SHARE_PASSWORD_PER_IP, durationSeconds: WINDOW_SECONDS }, options),
  };
}

/**
 * Spends a point from both budgets before the password is checked — atomically, so a burst of parallel
 * guesses cannot slip past the limit — and answers 429 with Retry-After when either is dry. The per-share
 * budget stops a spray from many IPs against one link; the per-IP one, one client trying many links.
 */
export async function spendPasswordAttempt(limits: SharePasswordLimits, shareId: string, ip: string): Promise<void> {
  await consumeOrThrow(limits.perIp, ip);
  await consumeOrThrow(limits.perShare, shareId);
}

/** Gives the points back after a right password: only wrong guesses count, so many rightful viewers never lock a link. */
export async function refundPasswordAttempt(limits: SharePasswordLimits, shareId: string, ip: string): Promise<void> {
  await Promise.all([limits.perIp.reward(ip, 1), limits.perShare.reward(shareId, 1)]);
}
