import type { Knex } from 'knex';
import type { PGlite } from '@electric-sql/pglite';
import type { Db as BossDb } from 'pg-boss';

/**
 * The part of knex's client used here. knex types `db.client` as any; knex-pglite's one connection is
 * the PGlite instance itself.
 */
interface PgliteKnexClient {
  acquireConnection(): Promise<PGlite>;
  releaseConnection(connection: PGlite): Promise<void>;
}

/**
 * pg-boss's database on PGlite, routed through knex's one connection.
 *
 * Not pg-boss's own `fromPglite`: knex-pglite opens transactions with a plain BEGIN on the shared
 * PGlite session, and `fromPglite` talks to that session directly, so any pg-boss statement issued
 * while some request's knex transaction was open ran inside it — a job sent meanwhile vanished when
 * that unrelated transaction rolled back (shared/notes/jobs-on-pglite.md, trap 1). Acquiring knex's
 * connection first makes pg-boss wait for the open transaction instead. The price: inside a knex
 * transaction, every pg-boss call must carry `{ db: fromKnex(trx) }`, or it waits for the
 * connection its own caller holds (`Jobs.enqueue` takes the transaction for this).
 */
export function pgliteViaKnex(db: Knex): BossDb {
  const client = db.client as PgliteKnexClient;
  const withConnection = async <T>(work: (pglite: PGlite) => Promise<T>): Promise<T> => {
    const pglite = await client.acquireConnection();
    try {
      return await work(pglite);
    } finally {
      await client.releaseConnection(pglite);
    }
  };
  return {
    executeSql: (text, values) =>
      withConnection(async (pglite) => {
        try {
          if (values?.length) return await pglite.query(text, values);
          // pg-boss's schema DDL and its locked() blocks are several statements in one string, which
          // only exec() runs; their rows (a RETURNING before the COMMIT) are flattened as pg-boss expects.
          const results = await pglite.exec(text);
          return { rows: results.flatMap((result) => result.rows ?? []) };
        } catch (error) {
          // A multi-statement block that failed halfway leaves its BEGIN open on the one session. Ours
          // alone: knex's own transactions hold this connection until they end.
          if (pglite.isInTransaction()) await pglite.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }),
    // LISTEN/NOTIFY works in-process on PGlite; LISTEN goes through the connection too, so that it
    // never lands inside (and dies with) somebody's open transaction.
    listen: async (channel, onNotification, onReconnect) => {
      const unsubscribe = await withConnection((pglite) => pglite.listen(channel, onNotification));
      onReconnect();
      return { close: () => withConnection(() => unsubscribe()) };
    },
  };
}
