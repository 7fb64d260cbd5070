import type { Express } from 'express';
import supertest from 'supertest';
import { parseConfig, type Config } from '@shared/config.ts';
import { createDb, migrateLatest } from '@shared/db.ts';
import { createLogger, type Logger } from '@shared/logger.ts';
import { createServices, type Services } from '@shared/services.ts';
import type { QueueDefinition } from '@shared/jobs/defineQueue.ts';
import { createApp, type AppOptions } from '../rest-api/app.ts';
import { TEST_REDIS_URL, createEmptyDatabase, deleteRedisKeys, uniqueName } from './services.ts';

/** The database a test app runs on: its own PostgreSQL database, or an in-memory PGlite. */
export type TestBackend = 'postgres' | 'pglite';

export interface TestApp {
  services: Services;
  config: Config;
  app: Express;
  request: ReturnType<typeof supertest>;
  /** Drops the test database and Redis keys, closes connections. */
  close(): Promise<void>;
}

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/**
 * A REST app on a fresh database with its own Redis prefix. By default it uses PostgreSQL and Redis
 * (rate limits and the bus go through Redis), with auth limits raised so suites can register freely;
 * pass `env` to set anything else. Its jobs run, with the app's queues and any test `queues`.
 */
export async function startTestApp(
  options: {
    backend?: TestBackend;
    redis?: boolean;
    env?: Record<string, string>;
    log?: Logger;
    queues?: QueueDefinition[];
    /** Parts the app is built with (a fake plugin runtime). */
    app?: AppOptions;
    /** The DATABASE_URL the app gets, from the one of its fresh database (to name several servers, say). */
    databaseUrl?: (url: string) => string;
  } = {},
): Promise<TestApp> {
  const backend = options.backend ?? 'postgres';
  const useRedis = options.redis ?? backend === 'postgres';
  const database = backend === 'postgres' ? await createEmptyDatabase() : undefined;
  const prefix = `${uniqueName('twinmcp-test')}:`;
  const config = parseConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    DATA_DIR: '/nonexistent-test-data-dir',
    RATE_LIMIT_AUTH_PER_IP: '10000',
    // Views of unlimited share links are written in batches; tests wait for them, briefly.
    SHARE_VIEW_FLUSH_MS: '20',
    REDIS_PREFIX: prefix,
    ...(database ? { DATABASE_URL: options.databaseUrl ? options.databaseUrl(database.url) : database.url } : {}),
    ...(useRedis ? { REDIS_URL: TEST_REDIS_URL } : {}),
    ...options.env,
  });
  const db = createDb(config, { inMemory: true });
  await migrateLatest(db);
  const services = await createServices(config, { db, migrate: false, log: options.log ?? createLogger(config) });
  const app = createApp(services, options.app);
  for (const queue of options.queues ?? []) services.jobs.define(queue);
  await services.jobs.start();
  return {
    services,
    config,
    app,
    request: supertest(app),
    async close() {
      // Drop the database and keys even when closing the services fails (a test may have broken them).
      try {
        await services.close();
      } finally {
        await database?.drop();
        if (useRedis) await deleteRedisKeys(prefix);
      }
    },
  };
}
