import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { AppError, ConflictError, ValidationError } from '@shared/errors.ts';
import type { Logger } from '@shared/logger.ts';
import { canonicalJson } from '@shared/plugins/package/canonicalJson.ts';
import { IdempotencyKeyInProgressError } from './IdempotencyKeyInProgressError.ts';
import { claimKey, findKey, recordAnswer, renewClaim, settleUnansweredKey, type IdempotencyKeyRow } from './idempotencyKeys.repo.ts';
import { markCommitsOfIdempotentRequests, runIdempotentRequest } from './idempotentRequest.ts';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Set on an answer that repeats the first one instead of running the request again. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** Visible ASCII, as the header draft's examples and Stripe's keys are; a UUID fits easily. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * The default lease of a claim. The node serving a request renews its claim every lease / 5 while the
 * request runs, so a claim not renewed for a whole lease was left by a node that died (SIGKILL, a lost
 * region) and a repeat may take the key over — after seconds, where a fixed stale limit long enough for
 * the slowest request kept a client retrying through a failover waiting for minutes. It is longer than
 * a failover's write gap (~10 s), during which a live node's renewals fail too. A claimant that lost its
 * key all the same (a longer gap, a frozen process) is fenced: its commit finds its claim gone and rolls
 * back (idempotentRequest.ts), so the work is never done twice.
 */
export const CLAIM_LEASE_SECONDS = 15;

/** Renewals per lease: several, so that one or two lost to a slow database do not let the claim lapse. */
const RENEWALS_PER_LEASE = 5;

/**
 * How long recording an answer, or settling a key whose request got none, keeps trying when the
 * database does not answer: a failover takes seconds, and a key left behind would make every repeat
 * wait out the lease (or, for committed work, be told the answer was lost).
 */
const SETTLE_DEADLINE_MS = 60_000;

interface Options {
  db: Knex;
  log: Logger;
  /** Upload routes: the file is not part of the fingerprint (a browser's retry has a new multipart boundary). */
  isUpload: boolean;
  /** How long a claim lasts unrenewed; CLAIM_LEASE_SECONDS unless a test shortens it. */
  leaseSeconds?: number;
}

/**
 * Honours `Idempotency-Key` on a POST route (draft-ietf-httpapi-idempotency-key-header, as Stripe
 * does): the first request with a key runs and its successful JSON answer is kept for 24 hours; a
 * repeat with the same key and the same request gets that answer again (`Idempotent-Replayed: true`)
 * and runs nothing; the same key with a different request is 422 `idempotency_key_reused`; a repeat
 * while the first still runs is 409 `idempotency_key_in_progress` with Retry-After. A request that
 * fails (any 4xx or 5xx) keeps nothing — it changed nothing, so the key may be used again. Keys are
 * per caller: nobody can replay, or even probe, another's. Runs after validation (the fingerprint is
 * the validated input) and before any upload is read.
 *
 * A failover can end a request after its work committed and before its answer was kept (or sent). The
 * request's first transaction marks the key `committed` in that same transaction (idempotentRequest.ts),
 * so the database knows; a repeat then runs nothing and is answered 409 `idempotency_key_answer_lost`,
 * which clients treat as done. A request that ended with nothing committed gives its key back, retried
 * through the failover, so a repeat runs at once. A claim whose node died cannot give its key back: it
 * is held under a lease that the node renews while it serves the request (CLAIM_LEASE_SECONDS).
 */
export function honourIdempotencyKey({ db, log, isUpload, leaseSeconds = CLAIM_LEASE_SECONDS }: Options): RequestHandler {
  markCommitsOfIdempotentRequests(db);
  return (req, res, next) => {
    const key = req.get(IDEMPOTENCY_HEADER);
    if (key === undefined) return next();
    if (!KEY_PATTERN.test(key)) {
      return next(
        new ValidationError(`${IDEMPOTENCY_HEADER} must be 1 to 255 visible ASCII characters`, undefined, 'idempotency_key_invalid'),
      );
    }
    const principal = principalOf(req);
    const fingerprint = fingerprintOf(req, isUpload);
    claimKey(db, { principal, key, fingerprint, leaseSeconds }).then(async (claimId) => {
      if (claimId !== undefined) {
        const claim = { principal, key, claimId };
        renewWhileRunning({ db, log }, res, claim, leaseSeconds);
        rememberAnswer({ db, log }, res, claim);
        return runIdempotentRequest({ ...claim, hasCommitted: false }, () => next());
      }
      const previous = await findKey(db, principal, key, leaseSeconds);
      // Released or swept between the two statements: tell the caller to try again rather than guess.
      if (!previous) return next(new IdempotencyKeyInProgressError());
      answerRepeat(res, previous, fingerprint, next);
    }, next);
  };
}

function principalOf(req: Request): string {
  const principal = req.principal ?? req.actor;
  if (!principal) throw new Error('honourIdempotencyKey runs on authenticated routes only');
  return principal.type === 'share' ? `share:${principal.shareId}` : `${principal.type}:${principal.id}`;
}

/** The method, the route and the validated input (defaults applied, dates as ISO strings, keys sorted). */
function fingerprintOf(req: Request, isUpload: boolean): string {
  const input = JSON.parse(JSON.stringify(req.input ?? {})) as { body?: unknown };
  if (isUpload) delete input.body;
  const request = { method: req.method, path: req.baseUrl + req.path, input };
  return crypto.createHash('sha256').update(canonicalJson(request)).digest('base64url');
}

function answerRepeat(
  res: Response,
  previous: IdempotencyKeyRow & { is_lapsed: boolean },
  fingerprint: string,
  next: (error?: unknown) => void,
): void {
  if (previous.fingerprint !== fingerprint) {
    return next(
      new AppError(
        422,
        'idempotency_key_reused',
        `This ${IDEMPOTENCY_HEADER} was already used for a different request; use a new key for a new request`,
      ),
    );
  }
  if (previous.state === 'done') {
    res.set(REPLAYED_HEADER, 'true').status(previous.response_status!).json(previous.response_body);
    return;
  }
  // Committed and no longer renewed: its request's process died between the commit and the answer.
  const isAbandoned = previous.state === 'committed' && previous.is_lapsed;
  if (previous.state === 'answer_lost' || isAbandoned) return next(answerLost());
  return next(new IdempotencyKeyInProgressError());
}

function answerLost(): AppError {
  return new ConflictError(
    `The request with this ${IDEMPOTENCY_HEADER} was carried out, but the database failed over before its answer was kept; ` +
      'it will not run again: read the resource to see the result',
    'idempotency_key_answer_lost',
  );
}

/** A request's claim of its key, as the repository matches it. */
interface Claim {
  principal: string;
  key: string;
  claimId: string;
}

/**
 * Renews the claim every lease / RENEWALS_PER_LEASE until the response is finished or closed, or the
 * claim is no longer this request's. A renewal that fails is only worth a debug line: the database may
 * be failing over, and the next one, or the fence at commit, covers it.
 */
function renewWhileRunning({ db, log }: Pick<Options, 'db' | 'log'>, res: Response, claim: Claim, leaseSeconds: number): void {
  const timer = setInterval(
    () => {
      renewClaim(db, claim.principal, claim.key, claim.claimId).then(
        (isRenewed) => {
          if (!isRenewed) clearInterval(timer);
        },
        (error: unknown) => log.debug({ err: error }, 'could not renew an idempotency key claim'),
      );
    },
    (leaseSeconds * 1000) / RENEWALS_PER_LEASE,
  );
  timer.unref();
  res.on('close', () => clearInterval(timer));
}

/**
 * Keeps the claiming request's answer when it is a success in JSON, before it is sent — so a client
 * that got it and retries anyway finds it — and settles the key for anything else.
 */
function rememberAnswer({ db, log }: Pick<Options, 'db' | 'log'>, res: Response, { principal, key, claimId }: Claim): void {
  let isRemembered = false;
  const send = res.json.bind(res);
  res.json = (body: unknown) => {
    if (res.statusCode < 200 || res.statusCode >= 300) return send(body);
    isRemembered = true;
    recordAnswer(db, principal, key, claimId, { status: res.statusCode, body }).then(
      () => send(body),
      () => {
        // What was done is done: answer it now, and keep trying to record the answer through the failover.
        send(body);
        keepTrying(log, 'record the answer of an idempotent request', () =>
          recordAnswer(db, principal, key, claimId, { status: res.statusCode, body }),
        );
      },
    );
    return res;
  };
  res.on('close', () => {
    if (isRemembered) return;
    keepTrying(log, 'settle an unanswered idempotency key', () => settleUnansweredKey(db, principal, key, claimId));
  });
}

/** Runs `task` until it succeeds or SETTLE_DEADLINE_MS passes, waiting longer after each failure. */
function keepTrying(log: Logger, what: string, task: () => Promise<void>): void {
  const deadline = Date.now() + SETTLE_DEADLINE_MS;
  const attempt = (delayMs: number): void => {
    task().catch((error: unknown) => {
      if (Date.now() + delayMs > deadline) return log.error({ err: error }, `could not ${what}`);
      log.warn({ err: error, retryInMs: delayMs }, `could not ${what} yet; trying again`);
      setTimeout(() => attempt(Math.min(delayMs * 2, 2_000)), delayMs).unref();
    });
  };
  attempt(250);
}
