import type { Knex } from 'knex';
import pg from 'pg';
import { isFailoverError } from './isFailoverError.ts';
import type { PrimaryResolver } from './PrimaryResolver.ts';
import type { DatabaseHost } from './parseDatabaseUrl.ts';

/** The part of a pg client knex hands the pool hooks. */
interface PooledConnection {
  host?: string;
  port?: number;
  __knexUid?: string;
  /** node-postgres's wire connection; destroying its socket fails the query in flight at once. */
  connection?: { stream?: { destroy(): void } };
  on(event: 'error' | 'end', listener: (error?: Error) => void): void;
}

/** The part of knex's client wrapped below; knex types `db.client` as any. */
interface RawConnectionFactory {
  acquireRawConnection(): Promise<unknown>;
}

/** A knex pool that follows the primary: its settings, and `watch` to call once on the knex built from them. */
export interface PrimaryFollowingPool {
  config: Knex.Config;
  /**
   * Makes the resolver hear of every failure that means the primary is gone: a query refused or cut off
   * (knex's query-error), and a connection that could not be opened (which knex reports to no listener).
   */
  watch(db: Knex): void;
}

/**
 * knex settings for a pool that follows the primary: each new connection goes to the server the
 * resolver names (waiting while it looks for one), and a pooled connection to any other server — or
 * one whose query failed as a failover does (its session may be gone without the socket saying so) —
 * is dropped when next taken out.
 */
export function primaryFollowingPool(resolver: PrimaryResolver, poolMax: number): PrimaryFollowingPool {
  const { connectTimeoutMs, resolveTimeoutMs } = resolver.options;
  const pooled = new Map<string, PooledConnection>();
  const condemned = new WeakSet<PooledConnection>();
  const config: Knex.Config = {
    client: 'pg',
    connection: async () => {
      const primary = await resolver.primary();
      const generation = resolver.generation;
      return {
        connectionString: resolver.options.url.urlFor(primary),
        connectionTimeoutMillis: connectTimeoutMs,
        // A dead peer otherwise holds a pooled connection until the kernel gives up (minutes).
        keepAlive: true,
        keepAliveInitialDelayMillis: 1_000,
        // knex asks for fresh settings once the primary these were made for is given up.
        expirationChecker: () => resolver.generation !== generation,
      };
    },
    // A request waits through one search for the primary, then gets its 503.
    acquireConnectionTimeout: resolveTimeoutMs + 2 * connectTimeoutMs,
    pool: {
      min: 0,
      max: poolMax,
      afterCreate(connection: PooledConnection, done: (error: Error | null, connection: PooledConnection) => void) {
        const uid = connection.__knexUid;
        if (uid) pooled.set(uid, connection);
        connection.on('error', (error?: Error) =>
          resolver.invalidate(error?.message ?? 'connection failed', { host: connection.host, port: connection.port }),
        );
        connection.on('end', () => {
          if (uid) pooled.delete(uid);
        });
        done(null, connection);
      },
      validate: (connection: PooledConnection) => !condemned.has(connection) && resolver.isCurrent(connection.host, connection.port),
    },
  };
  cutSessionsOfLostServers(resolver, () => pooled.values());
  return {
    config,
    watch(db) {
      db.on('query-error', (error: unknown, query?: { __knexUid?: string }) => {
        if (!isFailoverError(error)) return;
        const connection = query?.__knexUid ? pooled.get(query.__knexUid) : undefined;
        if (connection) condemned.add(connection);
        resolver.invalidate(describeError(error));
      });
      const client = db.client as RawConnectionFactory;
      const acquireRawConnection = client.acquireRawConnection.bind(client);
      client.acquireRawConnection = async () => {
        try {
          return await acquireRawConnection();
        } catch (error) {
          if (isFailoverError(error)) resolver.invalidate(describeError(error));
          throw error;
        }
      };
    },
  };
}

/**
 * A node-postgres Client class for pools we do not build ourselves (pg-boss's): it connects to the
 * server the resolver names at the moment it connects, so a new connection after a failover reaches
 * the new primary. Its other settings (user, database, TLS) come from the URL as usual.
 */
export function primaryFollowingClient(resolver: PrimaryResolver): typeof pg.Client {
  const open = new Set<PooledConnection>();
  cutSessionsOfLostServers(resolver, () => open);
  return class PrimaryFollowingClient extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: ((error: Error) => void) | ((error: null, client: pg.Client) => void)): void;
    override connect(callback?: ((error: Error) => void) | ((error: null, client: pg.Client) => void)): Promise<pg.Client> | void {
      const connected = resolver.primary().then((primary) => {
        this.host = primary.host;
        this.port = primary.port;
        const tracked = this as unknown as PooledConnection;
        open.add(tracked);
        this.once('end', () => open.delete(tracked));
        return super.connect();
      });
      const watched = connected.catch((error: unknown) => {
        open.delete(this);
        if (isFailoverError(error)) resolver.invalidate(describeError(error));
        throw error;
      });
      if (!callback) return watched;
      // pg-pool passes one callback for both outcomes; its union type cannot be called as either.
      const done = callback as (error: Error | null, client?: pg.Client) => void;
      watched.then(
        (client) => done(null, client),
        (error: Error) => done(error),
      );
    }
  };
}

/**
 * Cuts the sessions to a server the pool left: one the resolver's own check gave up (`abandoned`), and
 * one another server took over from (`primary` with a different `previous`). Either may be frozen or cut
 * off — a killed region answers nothing, not even a reset — and a query already sent there would wait
 * for the kernel to give up (minutes), not fail: an update-log commit in flight at the loss would hold
 * every acknowledgement behind it. The search itself is often started by another request's error, so
 * the resolver's check may never get to say `abandoned`; a new primary is the moment that always comes.
 */
function cutSessionsOfLostServers(resolver: PrimaryResolver, sessions: () => Iterable<PooledConnection>): void {
  const cut = (server: DatabaseHost) => {
    for (const session of sessions())
      if (session.host === server.host && Number(session.port) === server.port) session.connection?.stream?.destroy();
  };
  resolver.on('abandoned', cut);
  resolver.on('primary', (current: DatabaseHost, previous: DatabaseHost | undefined) => {
    if (previous && (previous.host !== current.host || previous.port !== current.port)) cut(previous);
  });
}

function describeError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  return [code, message].filter(Boolean).join(' ') || 'connection failed';
}
