import type { Config } from '@shared/config.ts';
import { RateLimitError } from '@shared/errors.ts';
import { GuessBudget, type Reservation } from '@shared/guessBudget.ts';
import type { Services } from '@shared/services.ts';

const WINDOW_SECONDS = 15 * 60;

/** The budgets a password guess spends from: the client IP's across shares, and the share's or the device's. */
export interface SharePasswordLimits {
  perShare: GuessBudget;
  perIp: GuessBudget;
  perDevice: GuessBudget;
}

export function createSharePasswordLimits(
  services: Pick<Services, 'redis'> & {
    config: Pick<
      Config,
      'REDIS_PREFIX' | 'RATE_LIMIT_SHARE_PASSWORD_PER_SHARE' | 'RATE_LIMIT_SHARE_PASSWORD_PER_IP' | 'RATE_LIMIT_SHARE_PASSWORD_PER_DEVICE'
    >;
  },
): SharePasswordLimits {
  const { config, redis } = services;
  const options = { redis, prefix: config.REDIS_PREFIX };
  return {
    perShare: new GuessBudget(
      { name: 'share-password', points: config.RATE_LIMIT_SHARE_PASSWORD_PER_SHARE, durationSeconds: WINDOW_SECONDS },
      options,
    ),
    perIp: new GuessBudget(
      { name: 'share-password-ip', points: config.RATE_LIMIT_SHARE_PASSWORD_PER_IP, durationSeconds: WINDOW_SECONDS },
      options,
    ),
    perDevice: new GuessBudget(
      { name: 'share-password-device', points: config.RATE_LIMIT_SHARE_PASSWORD_PER_DEVICE, durationSeconds: WINDOW_SECONDS },
      options,
    ),
  };
}

/**
 * Reserves one password guess (shared/guessBudget.ts: wrong answers spend, right ones do not, a burst
 * cannot overrun). The per-IP budget stops one client trying many links. The per-share budget stops a
 * spray from many IPs against one link — and would lock the rightful viewers out with it, so a browser
 * that has given the right password before (its device token) answers to a budget of its own instead
 * (OWASP's device cookies); once it has guessed wrong too often, it is a stranger again.
 */
export async function reservePasswordGuess(
  limits: SharePasswordLimits,
  guess: { shareId: string; ip: string; deviceId?: string },
): Promise<Reservation[]> {
  const perIp = await limits.perIp.reserve(guess.ip);
  try {
    if (guess.deviceId) {
      try {
        return [perIp, await limits.perDevice.reserve(guess.deviceId)];
      } catch (error) {
        if (!(error instanceof RateLimitError)) throw error;
      }
    }
    return [perIp, await limits.perShare.reserve(guess.shareId)];
  } catch (error) {
    // Not a guess after all: give the IP's point back.
    await perIp.settle(true);
    throw error;
  }
}
