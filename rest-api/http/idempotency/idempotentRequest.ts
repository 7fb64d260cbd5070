import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';
import { IdempotencyKeyInProgressError } from './IdempotencyKeyInProgressError.ts';
import { markCommitted } from './idempotencyKeys.repo.ts';

/** The key a request claimed, as the code it runs (commands, their transactions) can see it. */
export interface IdempotentRequest {
  principal: string;
  key: string;
  /** The claim this request holds (idempotencyKeys.repo.ts › claimKey): its commit is fenced by it. */
  claimId: string;
  /** Set once a transaction of this request committed with the key marked `committed` in it. */
  hasCommitted: boolean;
}

const current = new AsyncLocalStorage<IdempotentRequest>();

/** Runs the rest of an idempotent request (the handler and everything it awaits) with its key in scope. */
export function runIdempotentRequest(request: IdempotentRequest, next: () => void): void {
  current.run(request, next);
}

const installed = new WeakSet<Knex>();

/**
 * Makes the first transaction of each idempotent request mark its key `committed` inside that same
 * transaction. Why: a request whose COMMIT reached the database but whose answer never reached the
 * client (the primary died between the two) must not run again when the client retries, and the only
 * place that knows the commit happened is the database itself. With the mark, the key is `committed`
 * exactly when the request's work is; without it (rolled back, never reached), the key is still
 * `running` and is released for the retry. Transactions opened outside idempotent requests, and
 * savepoints (trx.transaction), are untouched.
 *
 * The mark is also the fence: it only marks the row of this request's own claim. A request whose lease
 * ran out (its renewals could not reach the database, or its node froze) may have lost the key to a
 * repeat that is now running the same work; its mark then finds no row, and it throws
 * IdempotencyKeyInProgressError from inside the transaction, so that nothing of it commits and its
 * client is told to wait for the answer of the one that took over. A repeat taking the key waits on the
 * row lock of a mark in flight, and finds the key `committed` if that transaction commits.
 */
export function markCommitsOfIdempotentRequests(db: Knex): void {
  if (installed.has(db)) return;
  installed.add(db);
  // knex's own `transaction` is read-only; it calls its context's `_transaction`, which gets the work
  // function (null for `db.transaction()` without one, left alone) and no outer transaction (savepoints,
  // `trx.transaction`, go through the transaction's own context and are not marked).
  const context = (
    db as unknown as { context: { _transaction(container: unknown, config: unknown, outerTx?: unknown): PromiseLike<unknown> } }
  ).context;
  const transaction = context._transaction.bind(context);
  context._transaction = (container, config, outerTx) => {
    const request = current.getStore();
    if (typeof container !== 'function' || outerTx || request === undefined || request.hasCommitted) {
      return transaction(container, config, outerTx);
    }
    const work = container as (trx: Knex.Transaction) => Promise<unknown>;
    const committing = transaction(
      async (trx: Knex.Transaction) => {
        const result = await work(trx);
        if (!(await markCommitted(trx, request.principal, request.key, request.claimId))) {
          throw new IdempotencyKeyInProgressError();
        }
        return result;
      },
      config,
      outerTx,
    );
    committing.then(
      () => (request.hasCommitted = true),
      () => {},
    );
    return committing;
  };
}
