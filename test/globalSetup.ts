import knexFactory from 'knex';
import { Redis } from 'ioredis';
import { TEST_POSTGRES_URL, TEST_REDIS_URL } from './services.ts';

/** True while a process with this pid exists. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Test databases are named after the worker that made them (`twinmcp_test_<pid>_<random>`). A worker
 * killed mid-run (a timeout, ^C) cannot drop its own, so each run drops those whose worker is gone.
 */
async function dropOrphanedDatabases(db: knexFactory.Knex): Promise<void> {
  const names: string[] = await db('pg_database').where('datname', 'like', 'twinmcp\\_test\\_%').pluck('datname');
  for (const name of names) {
    const pid = Number(/^twinmcp_test_(\d+)_[0-9a-f]+$/.exec(name)?.[1]);
    if (pid && !isRunning(pid)) await db.raw('drop database if exists ?? with (force)', [name]);
  }
}

/**
 * Runs once before all suites: PostgreSQL and Redis must answer. If either does not, the whole run
 * stops here with a message saying which and where — no suite is ever skipped for want of a service.
 */
export default async function globalSetup(): Promise<void> {
  const db = knexFactory({ client: 'pg', connection: TEST_POSTGRES_URL, pool: { min: 0, max: 1 }, acquireConnectionTimeout: 5000 });
  try {
    await db.raw('select 1');
  } catch (error) {
    await db.destroy();
    throw new Error(`Tests need PostgreSQL at ${TEST_POSTGRES_URL} (set TEST_POSTGRES_URL): ${(error as Error).message}`, { cause: error });
  }
  try {
    await dropOrphanedDatabases(db);
  } finally {
    await db.destroy();
  }
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Tests need Redis at ${TEST_REDIS_URL} (set TEST_REDIS_URL): ${(error as Error).message}`, { cause: error });
  } finally {
    redis.disconnect();
  }
}
