import { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { createDb, migrateLatest, primaryResolverOf, type Db } from './db.ts';
import { recordFailovers } from './failover/recordFailovers.ts';
import { createBus, type Bus } from './bus.ts';
import { createLogger, type Logger } from './logger.ts';
import { AccessTokenVerifier } from './accessTokens.ts';
import { createTokenSettings, type TokenSettings } from './auth.ts';
import { SessionRevocations } from './sessionRevocations.ts';
import { createStorage, type ObjectStorage } from './storage/index.ts';
import { Jobs, type JobsOptions } from './jobs/Jobs.ts';
import { grantConfiguredOperators } from './operators.ts';
import { CodeSandbox } from './sandbox/CodeSandbox.ts';

/** What both servers are built from. One set per process; tests build their own. */
export interface Services {
  config: Config;
  log: Logger;
  db: Db;
  bus: Bus;
  tokens: TokenSettings;
  /** The one check of a user's access token, for both servers. */
  accessTokens: AccessTokenVerifier;
  /** Users whose older access tokens both servers refuse; kept current from the bus. */
  revocations: SessionRevocations;
  /** Shared command connection for rate limits and the like; absent on the embedded default. */
  redis?: Redis;
  /** Object storage for bytes (attachments, media, backups): a local directory, or S3. */
  storage: ObjectStorage;
  /** Background jobs: queues are defined while the app is built, then `jobs.start()`. */
  jobs: Jobs;
  /** Where untrusted code runs (never in this process); starts its workers on first use or `sandbox.start()`. */
  sandbox: CodeSandbox;
  /** Work to finish before the services close (flush what is buffered); runs in reverse order of registration. */
  beforeClose(step: () => Promise<void>): void;
  /**
   * Stops the jobs (letting running ones finish), runs the beforeClose steps, then closes the bus, Redis,
   * object storage and the database.
   */
  close(): Promise<void>;
}

/** Opens the database (migrating it), the bus and Redis as the configuration says. */
export async function createServices(
  config: Config,
  options: { log?: Logger; db?: Db; migrate?: boolean; jobs?: Partial<JobsOptions> } = {},
): Promise<Services> {
  const log = options.log ?? createLogger(config);
  const db = options.db ?? createDb(config, { log });
  const resolver = primaryResolverOf(db);
  if (resolver) recordFailovers(db, resolver, log.child({ module: 'db.failover' }));
  if (options.migrate ?? true) {
    const applied = await migrateLatest(db);
    if (applied.length > 0) log.info({ applied }, 'migrations applied');
  }
  await grantConfiguredOperators(db, config.OPERATOR_EMAILS, log);
  const bus = await createBus({ redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX, log });
  const revocations = new SessionRevocations(config.ACCESS_TOKEN_TTL_SECONDS);
  // Subscribe before loading: a revocation published in between is then recorded twice, never missed.
  const stopRevoking = bus.subscribe('user.sessions_revoked', ({ userId, generation, revokedAt }) =>
    revocations.revoke(userId, generation, Date.parse(revokedAt)),
  );
  await revocations.load(db);
  let redis: Redis | undefined;
  if (config.REDIS_URL) {
    redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 });
    redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
  }
  const tokens = createTokenSettings(config);
  const storage = createStorage(config);
  const closing: Array<() => Promise<void>> = [];
  const sandbox = CodeSandbox.fromConfig(config, log);
  const jobs = new Jobs(db, log.child({ module: 'jobs' }), {
    databaseUrl: config.DATABASE_URL,
    work: config.JOBS_ENABLED,
    concurrency: config.JOBS_CONCURRENCY,
    // The rest of the shutdown (bus, database) needs a moment of SHUTDOWN_TIMEOUT_MS too.
    stopTimeoutMs: Math.max(1_000, config.SHUTDOWN_TIMEOUT_MS - 1_000),
    ...options.jobs,
  });
  return {
    config,
    log,
    db,
    bus,
    tokens,
    accessTokens: new AccessTokenVerifier(tokens, db, revocations),
    revocations,
    redis,
    storage,
    jobs,
    sandbox,
    beforeClose(step) {
      closing.unshift(step);
    },
    async close() {
      await jobs.stop();
      for (const step of closing) await step();
      await sandbox.close();
      stopRevoking();
      await bus.close();
      await redis?.quit().catch(() => redis?.disconnect());
      await storage.close();
      await db.destroy();
    },
  };
}
