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
/** Guesses in flight are counted in a short window of their own, so a count a crash left behind lapses soon. */
const IN_FLIGHT_WINDOW_SECONDS = 60;

/**
 * A budget of wrong answers per key — a share's password, a client IP — that a burst cannot overrun and
 * rightful answers never spend. A guess reserves a point before it is checked, atomically, so however
 * many arrive at once no more than `points` can be wrong; a right answer gives its point back.
 *
 * While points are held by guesses still being checked, the budget looks spent without being spent:
 * 20 viewers typing the right password at once would otherwise see 429 for points they were about to
 * return. So the guesses in flight are counted too, and a guess that finds the budget full only because
 * of them waits (polling, at most WAIT_FOR_IN_FLIGHT_MS) instead of failing. Only wrong answers that
 * were confirmed end in 429, with Retry-After.
 *
 * The two counters are updated in an order that can only make the confirmed count look smaller than it
 * is (wait rather than refuse), never larger; the budget itself stays exact.
 */
export class GuessBudget {
  private readonly budget: RateLimiterAbstract;
  private readonly inFlight: RateLimiterAbstract;

  constructor(
    readonly spec: LimitSpec,
    options: { redis?: Redis; prefix: string },
  ) {
    this.budget = createRateLimiter(spec, options);
    this.inFlight = createRateLimiter(
      { name: `${spec.name}:in-flight`, points: Number.MAX_SAFE_INTEGER, durationSeconds: IN_FLIGHT_WINDOW_SECONDS },
      options,
    );
  }

  /** Reserves one guess for `key`; throws RateLimitError once confirmed wrong answers have used the budget up. */
  async reserve(key: string): Promise<Reservation> {
    const deadline = Date.now() + WAIT_FOR_IN_FLIGHT_MS;
    for (;;) {
      // Counted in flight before the point is taken, so whoever reads both never counts it as a confirmed failure.
      await this.inFlight.penalty(key, 1);
      try {
        await this.budget.consume(key);
        return { settle: (correct) => this.settle(key, correct) };
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) {
          await this.inFlight.reward(key, 1);
          throw rejection;
        }
        const inFlight = (await this.inFlight.get(key))?.consumedPoints ?? 0;
        // Both counts include this guess: the refused consume still added its point (rate-limiter-flexible).
        const confirmedWrong = rejection.consumedPoints - inFlight;
        await this.budget.reward(key, 1);
        await this.inFlight.reward(key, 1);
        if (confirmedWrong >= this.spec.points) throw new RateLimitError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
        if (Date.now() > deadline) throw new RateLimitError(1);
        await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
      }
    }
  }

  private async settle(key: string, correct: boolean): Promise<void> {
    // The point goes back before the guess stops counting as in flight (see reserve).
    if (correct) await this.budget.reward(key, 1);
    await this.inFlight.reward(key, 1);
  }
}
