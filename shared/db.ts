import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { PGlite } from '@electric-sql/pglite';
import type { Client as PgConnection } from 'pg';
import { pino } from 'pino';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { migrationSource } from '../migrations/index.ts';
import { parseDatabaseUrl } from './failover/parseDatabaseUrl.ts';
import { PrimaryResolver } from './failover/PrimaryResolver.ts';
import { primaryFollowingPool } from './failover/followPrimary.ts';

export type Db = Knex;

/**
 * The part of knex's client used below to run several statements on one connection. knex types
 * `db.client` as any; on PostgreSQL (`client: 'pg'`) the connections it hands out are pg clients.
 */
interface PgKnexClient {
  config: Knex.Config;
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<void>;
}

/** Where the embedded database lives when DATABASE_URL is unset. */
export function pgliteDirectory(config: Pick<Config, 'DATA_DIR'>): string {
  return path.resolve(config.DATA_DIR, 'pglite');
}

/** The failover settings; defaults apply where a caller builds its own config object. */
type FailoverSettings = Partial<Pick<Config, 'DATABASE_CONNECT_TIMEOUT_MS' | 'DATABASE_FAILOVER_TIMEOUT_MS' | 'DATABASE_PRIMARY_CHECK_MS'>>;

const resolvers = new WeakMap<Db, PrimaryResolver>();

/** The resolver following the primary of a multi-host DATABASE_URL; undefined for one server or PGlite. */
export function primaryResolverOf(db: Db): PrimaryResolver | undefined {
  return resolvers.get(db);
}

/**
 * Opens the database: PostgreSQL through `pg` when DATABASE_URL is set, otherwise PGlite — a real
 * PostgreSQL compiled to WebAssembly, in-process, persisted under DATA_DIR (or in memory for `memory://`).
 * PGlite serves one connection, so it suits the single-process `npm start`, not the split servers.
 * A DATABASE_URL naming several servers makes the pool follow whichever is writable (failover).
 */
export function createDb(
  config: Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_MAX' | 'DATA_DIR'> & FailoverSettings,
  options: { inMemory?: boolean; log?: Logger } = {},
): Db {
  const parsedUrl = config.DATABASE_URL ? parseDatabaseUrl(config.DATABASE_URL) : undefined;
  if (parsedUrl && parsedUrl.hosts.length > 1) {
    const log = options.log ?? pino({ level: 'silent' });
    const resolver = new PrimaryResolver({
      url: parsedUrl,
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS ?? 2_000,
      resolveTimeoutMs: config.DATABASE_FAILOVER_TIMEOUT_MS ?? 30_000,
      log,
    });
    const pool = primaryFollowingPool(resolver, config.DATABASE_POOL_MAX);
    const db = knexFactory({
      ...pool.config,
      migrations: { migrationSource },
      // Dropped connections are expected during a failover: debug, not warnings.
      log: knexLogger(log, 'debug'),
    });
    pool.watch(db);
    const stopChecking = resolver.watch(config.DATABASE_PRIMARY_CHECK_MS ?? 1_000);
    // knex's destroy() is read-only; its client's is where the pool ends, and the checks end with it.
    const client = db.client as { destroy(callback?: unknown): Promise<void> };
    const destroyClient = client.destroy.bind(client);
    client.destroy = (callback?: unknown) => {
      stopChecking();
      return destroyClient(callback);
    };
    resolvers.set(db, resolver);
    return db;
  }
  if (config.DATABASE_URL) {
    return knexFactory({
      client: 'pg',
      connection: config.DATABASE_URL,
      pool: { min: 0, max: config.DATABASE_POOL_MAX },
      migrations: { migrationSource },
      log: knexLogger(options.log ?? pino({ level: 'silent' }), 'warn'),
    });
  }
  let dataDir: string | undefined;
  if (!options.inMemory) {
    dataDir = pgliteDirectory(config);
    fs.mkdirSync(dataDir, { recursive: true });
  }
  const pglite = new PGlite(dataDir);
  return knexFactory({
    client: ClientPgLite,
    dialect: 'postgres',
    connection: () => ({ pglite }) as unknown as Knex.StaticConnectionConfig,
    migrations: { migrationSource },
  });
}

/**
 * knex's messages (a connection that could not be acquired, a deprecation) through pino at `level`:
 * knex's own logger prints them with console.log, as raw lines among the JSON logs on stdout.
 */
function knexLogger(log: Logger, level: 'debug' | 'warn'): Knex.Config['log'] {
  const knexLog = log.child({ module: 'db.pool' });
  return {
    warn: (message: unknown) => knexLog[level]({ message: String(message) }, 'knex warning'),
    error: (message: unknown) => knexLog[level]({ message: String(message) }, 'knex error'),
    deprecate: (message: unknown) => knexLog[level]({ message: String(message) }, 'knex deprecation'),
    debug: () => {},
  };
}

/** Any constant both servers agree on: the key of the advisory lock that serializes migrations. */
const MIGRATION_LOCK_KEY = 7_126_480_331;

/**
 * Brings the schema up to date; safe to run at every start and from several processes at once. knex's
 * own lock makes a second, concurrent migrator fail ("Migration table is already locked"), so on
 * PostgreSQL every process first waits for one advisory lock: the others then find nothing to do.
 */
export async function migrateLatest(db: Db): Promise<string[]> {
  const client = db.client as PgKnexClient;
  if (client.config.client !== 'pg') return runMigrations(db);
  const connection = await client.acquireConnection();
  try {
    await connection.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await runMigrations(db);
    } finally {
      await connection.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.releaseConnection(connection);
  }
}

async function runMigrations(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest()) as [number, string[]];
  return applied;
}

/** True when the database answers a trivial query. */
export async function isDbReady(db: Db): Promise<boolean> {
  try {
    await db.raw('select 1');
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a hot-path read as a named prepared statement, so PostgreSQL parses and plans it once per
 * connection instead of once per request (knex has no prepared statements; pg does). Returns
 * undefined where that is not possible — PGlite, or inside a transaction, whose connection knex
 * holds — and the caller runs its ordinary query instead.
 */
export async function queryPrepared<T>(db: Db, statement: { name: string; text: string; values: unknown[] }): Promise<T[] | undefined> {
  const client = db.client as PgKnexClient;
  if (client.config.client !== 'pg' || db.isTransaction) return undefined;
  const connection = await client.acquireConnection();
  try {
    return (await connection.query(statement)).rows as T[];
  } finally {
    await client.releaseConnection(connection);
  }
}

/** True for PostgreSQL's unique-violation error (23505). */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23505';
}
