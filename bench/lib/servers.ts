import crypto from 'node:crypto';
import { TEST_REDIS_URL, createEmptyDatabase, deleteRedisKeys, uniqueName } from '../../test/services.ts';
import { startServer, type ChildServer } from './childServer.ts';

/** The REST app in its child process, with a way to call it while setting up a scenario. */
export interface RestAppServer extends ChildServer {
  /** The app's own PostgreSQL database, for setup the API offers no route for (granting an operator). */
  databaseUrl: string;
  /** Calls the API with JSON; throws unless the status is `expect`. Returns the parsed body. */
  call(method: string, path: string, options: { token?: string; body?: unknown; expect: number }): Promise<unknown>;
}

/**
 * Starts the real REST app, configured as production is: NODE_ENV=production, a fresh PostgreSQL
 * database (migrated by the app at start, as `npm run start:api` does), Redis for the bus and rate
 * limits under a prefix of its own, logs silenced; `env` adds to or overrides that. `close()` stops it
 * and removes the database and the Redis keys; if it fails to start, they are removed at once.
 */
export async function startRestApp(env: Record<string, string> = {}): Promise<RestAppServer & { close(): Promise<void> }> {
  const database = await createEmptyDatabase();
  const prefix = `${uniqueName('twinmcp-bench')}:`;
  const cleanUp = async () => {
    await database.drop();
    await deleteRedisKeys(prefix);
  };
  let server: ChildServer;
  try {
    server = await startServer('app', {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      JWT_SECRET: crypto.randomBytes(32).toString('base64url'),
      LOG_LEVEL: 'silent',
      DATA_DIR: '/nonexistent-bench-data-dir',
      ...env,
    });
  } catch (error) {
    await cleanUp();
    throw error;
  }
  const base = server.url;
  return {
    ...server,
    databaseUrl: database.url,
    call: (method, path, options) => callJson(base, method, path, options),
    async close() {
      await server.stop();
      await cleanUp();
    },
  };
}

/** Runs `use` against the real REST app (startRestApp); the app, its database and Redis keys are gone afterwards, whatever happened. */
export async function withRestApp<T>(use: (app: RestAppServer) => Promise<T>, env: Record<string, string> = {}): Promise<T> {
  const app = await startRestApp(env);
  try {
    return await use(app);
  } finally {
    await app.close();
  }
}

/** Runs `use` against bench/servers/bare.ts answering `route` with `body`, and stops it afterwards. */
export async function withBareServer<T>(
  route: { method: string; path: string; status?: number; body: unknown },
  use: (server: ChildServer) => Promise<T>,
): Promise<T> {
  const server = await startServer('bare', {
    BENCH_METHOD: route.method,
    BENCH_PATH: route.path,
    BENCH_STATUS: String(route.status ?? 200),
    BENCH_BODY: JSON.stringify(route.body),
  });
  try {
    return await use(server);
  } finally {
    await server.stop();
  }
}

/** `Authorization: Bearer …` */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function callJson(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; expect: number },
): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? bearer(options.token) : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  if (res.status !== options.expect) throw new Error(`${method} ${path}: expected ${options.expect}, got ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Registers a fresh bench user on `app`; its access token. */
export async function signUp(app: RestAppServer): Promise<string> {
  const { data } = (await app.call('POST', '/api/auth/register', {
    body: { email: `bench-${crypto.randomBytes(6).toString('hex')}@example.com`, password: 'correct horse battery staple', name: 'Bench' },
    expect: 201,
  })) as { data: { accessToken: string } };
  return data.accessToken;
}
