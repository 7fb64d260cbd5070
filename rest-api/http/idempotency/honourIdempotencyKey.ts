import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { AppError, ConflictError, ValidationError } from '@shared/errors.ts';
import type { Logger } from '@shared/logger.ts';
import { canonicalJson } from '@shared/plugins/package/canonicalJson.ts';
import { claimKey, findKey, recordAnswer, settleUnansweredKey, type IdempotencyKeyRow } from './idempotencyKeys.repo.ts';
import { markCommitsOfIdempotentRequests, runIdempotentRequest } from './idempotentRequest.ts';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Set on an answer that repeats the first one instead of running the request again. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** Visible ASCII, as the header draft's examples and Stripe's keys are; a UUID fits easily. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * A request still `running` after this long was left by a node that died mid-request, and its key may
 * be claimed again. Longer than any request the API serves synchronously; the price is that a repeat
 * within this window after such a crash waits (409 + Retry-After) rather than running twice.
 */
export const STALE_CLAIM_SECONDS = 120;

/**
 * How long recording an answer, or settling a key whose request got none, keeps trying when the
 * database does not answer: a failover takes seconds, and a key left behind would make every repeat
 * wait out STALE_CLAIM_SECONDS.
 */
const SETTLE_DEADLINE_MS = 60_000;

interface Options {
  db: Knex;
  log: Logger;
  /** Upload routes: the file is not part of the fingerprint (a browser's retry has a new multipart boundary). */
  isUpload: boolean;
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
 * through the failover, so a repeat runs at once rather than after STALE_CLAIM_SECONDS.
 */
export function honourIdempotencyKey({ db, log, isUpload }: Options): RequestHandler {
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
    claimKey(db, { principal, key, fingerprint, staleAfterSeconds: STALE_CLAIM_SECONDS }).then(async (claimed) => {
      if (claimed) {
        rememberAnswer({ db, log }, res, principal, key);
        return runIdempotentRequest({ principal, key, hasCommitted: false }, () => next());
      }
      const previous = await findKey(db, principal, key);
      // Released or swept between the two statements: tell the caller to try again rather than guess.
      if (!previous) return next(inProgress(res));
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

function answerRepeat(res: Response, previous: IdempotencyKeyRow, fingerprint: string, next: (error?: unknown) => void): void {
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
  // Committed long ago and never answered: its request's process died between the commit and the answer.
  const isAbandoned = previous.state === 'committed' && Date.now() - previous.locked_at.getTime() > STALE_CLAIM_SECONDS * 1000;
  if (previous.state === 'answer_lost' || isAbandoned) return next(answerLost());
  return next(inProgress(res));
}

function answerLost(): AppError {
  return new ConflictError(
    `The request with this ${IDEMPOTENCY_HEADER} was carried out, but the database failed over before its answer was kept; ` +
      'it will not run again: read the resource to see the result',
    'idempotency_key_answer_lost',
  );
}

function inProgress(res: Response): AppError {
  res.set('Retry-After', '1');
  return new ConflictError(
    `A request with this ${IDEMPOTENCY_HEADER} is still being served; try again shortly`,
    'idempotency_key_in_progress',
  );
}

/**
 * Keeps the claiming request's answer when it is a success in JSON, before it is sent — so a client
 * that got it and retries anyway finds it — and settles the key for anything else.
 */
function rememberAnswer({ db, log }: Pick<Options, 'db' | 'log'>, res: Response, principal: string, key: string): void {
  let isRemembered = false;
  const send = res.json.bind(res);
  res.json = (body: unknown) => {
    if (res.statusCode < 200 || res.statusCode >= 300) return send(body);
    isRemembered = true;
    recordAnswer(db, principal, key, { status: res.statusCode, body }).then(
      () => send(body),
      () => {
        // What was done is done: answer it now, and keep trying to record the answer through the failover.
        send(body);
        keepTrying(log, 'record the answer of an idempotent request', () =>
          recordAnswer(db, principal, key, { status: res.statusCode, body }),
        );
      },
    );
    return res;
  };
  res.on('close', () => {
    if (isRemembered) return;
    keepTrying(log, 'settle an unanswered idempotency key', () => settleUnansweredKey(db, principal, key));
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
