import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { RateLimitError } from './errors.ts';
import { createRateLimiter, type LimitSpec } from './rateLimit.ts';

/** A guess that holds one point of a budget until its outcome is known. */
export interface Reservation {
  /** A right answer gives the point back; a wrong one keeps it spent. */
  settle(correct: boolean): Promise<void>;
}

/** How long a guess waits for points that guesses still being checked may give back, before a 429. */
const WAIT_FOR_IN_FLIGHT_MS = 5_000;
const RETRY_EVERY_MS = 20;

/**
 * A budget of wrong answers per key — a share's password, a client IP — that a burst cannot overrun and
 * rightful answers never spend. A guess reserves a point before it is checked, atomically, so however
 * many arrive at once no more than `points` can be wrong; a right answer gives its point back.
 *
 * While points are held by guesses still being checked, the budget looks spent without being spent:
 * 20 viewers typing the right password at once would otherwise see 429 for points they were about to
 * return. So wrong answers, once confirmed, are also counted on their own, and a guess that finds the
 * budget full waits (polling, at most WAIT_FOR_IN_FLIGHT_MS) unless confirmed wrong answers alone fill
 * it. Only those end in 429, with Retry-After. The confirmed count is one counter read once — never a
 * difference of two counters read at different moments, which a guess settling in between could make
 * look larger than it is and turn a rightful viewer away.
 */
export class GuessBudget {
  private readonly budget: RateLimiterAbstract;
  private readonly confirmedWrong: RateLimiterAbstract;

  constructor(
    readonly spec: LimitSpec,
    options: { redis?: Redis; prefix: string },
  ) {
    this.budget = createRateLimiter(spec, options);
    this.confirmedWrong = createRateLimiter(
      { name: `${spec.name}:wrong`, points: Number.MAX_SAFE_INTEGER, durationSeconds: spec.durationSeconds },
      options,
    );
  }

  /** Reserves one guess for `key`; throws RateLimitError once confirmed wrong answers have used the budget up. */
  async reserve(key: string): Promise<Reservation> {
    const deadline = Date.now() + WAIT_FOR_IN_FLIGHT_MS;
    for (;;) {
      try {
        await this.budget.consume(key);
        return { settle: (correct) => this.settle(key, correct) };
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        // The refused consume still added its point (rate-limiter-flexible): give it back.
        await this.budget.reward(key, 1);
        const wrong = await this.confirmedWrong.get(key);
        if ((wrong?.consumedPoints ?? 0) >= this.spec.points) {
          throw new RateLimitError(Math.max(1, Math.ceil((wrong?.msBeforeNext ?? rejection.msBeforeNext) / 1000)));
        }
        if (Date.now() > deadline) throw new RateLimitError(1);
        await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
      }
    }
  }

  private async settle(key: string, correct: boolean): Promise<void> {
    if (correct) await this.budget.reward(key, 1);
    else await this.confirmedWrong.penalty(key, 1);
  }
}
