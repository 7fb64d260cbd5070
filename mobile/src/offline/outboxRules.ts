/**
 * The outbox's rules, pure so they run in Node: how long to wait before the next try, and what an
 * answer means for an action waiting to be sent. The same rules as the web client's
 * (web/src/offline/outboxRules.ts), so a phone and a browser treat a refusal alike.
 */

/** The first retry waits about this long; each further one doubles it. */
export const FIRST_RETRY_MS = 1_000;
/** No wait grows beyond this: someone out of a tunnel should not wait minutes for the next try. */
export const MAX_RETRY_MS = 60_000;

/**
 * The wait before try number `attempt + 1`: exponential, capped, with equal jitter (half fixed, half
 * random) so phones coming back online together do not retry in lockstep. A server's Retry-After is a floor.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random, retryAfterSeconds?: number): number {
  const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt));
  const delay = ceiling / 2 + (ceiling / 2) * random();
  return Math.max(Math.round(delay), (retryAfterSeconds ?? 0) * 1000);
}

/** What became of one try. */
export type Outcome =
  /** Done: the server did it now, or had done it already (a replayed answer). */
  | { kind: 'done' }
  /** Not done, and worth trying again later (offline, busy, the first try still running). */
  | { kind: 'retry'; retryAfterSeconds?: number }
  /** Refused for good: trying again would be refused again; the person decides (Retry or Discard). */
  | { kind: 'failed'; status: number; code: string; message: string };

/** A refusal as ApiError reports it: status 0 means the server was not reached. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  retryAfterSeconds?: number;
}

/**
 * Retried: no answer, the first request with this key still running (409 `idempotency_key_in_progress`),
 * timeouts, rate limits, server faults, and 401 (the session is gone: the action waits for the next
 * sign-in rather than being dropped). Any other 4xx is final: a deleted conversation (404), a lost
 * permission (403), a body the server will never take (400, or 422 `idempotency_key_reused`). Done, not
 * refused: 409 `idempotency_key_answer_lost` (the first try committed; its answer was lost to a failover).
 */
export function outcomeOf({ status, code, message, retryAfterSeconds }: Refusal): Outcome {
  if (status === 409 && code === 'idempotency_key_answer_lost') return { kind: 'done' };
  const isTransient =
    status === 0 ||
    status === 401 ||
    status === 408 ||
    status === 429 ||
    status >= 500 ||
    (status === 409 && code === 'idempotency_key_in_progress');
  return isTransient ? { kind: 'retry', retryAfterSeconds } : { kind: 'failed', status, code, message };
}

/** What the outbox keeps of an action's progress. */
export interface Progress {
  /** Tries that got no final answer so far. */
  attempts: number;
  /** Not tried again before this (ms since epoch). */
  nextTryAt: number;
  /** The refusal, once final. */
  failure?: { status: number; code: string; message: string };
}

/** The action after a try: undefined when it is done (it leaves the outbox). */
export function afterTry<A extends Progress>(action: A, outcome: Outcome, now: number, random: () => number = Math.random): A | undefined {
  if (outcome.kind === 'done') return undefined;
  if (outcome.kind === 'failed') {
    const { status, code, message } = outcome;
    return { ...action, failure: { status, code, message } };
  }
  return { ...action, attempts: action.attempts + 1, nextTryAt: now + retryDelayMs(action.attempts, random, outcome.retryAfterSeconds) };
}
