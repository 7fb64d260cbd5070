import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Server, type Hocuspocus } from '@hocuspocus/server';
import type { Registry } from 'prom-client';
import type { Services } from '@shared/services.ts';
import { AccessEventsExtension } from './extensions/AccessEventsExtension.ts';
import { AuthExtension, type CollabContext } from './extensions/AuthExtension.ts';
import { ClientUpdateExtension } from './extensions/ClientUpdateExtension.ts';
import { DraftEditExtension } from './extensions/DraftEditExtension.ts';
import { createRedisExtension } from './extensions/createRedisExtension.ts';
import { LimitsExtension } from './extensions/LimitsExtension.ts';
import { MessageMirrorExtension } from './extensions/MessageMirrorExtension.ts';
import { OperationsExtension } from './extensions/OperationsExtension.ts';
import { PersistenceExtension } from './extensions/PersistenceExtension.ts';
import { RenameExtension } from './extensions/RenameExtension.ts';
import { UpdateLogExtension } from './extensions/UpdateLogExtension.ts';
import { MemoryConnectionLeases, RedisConnectionLeases } from './connectionLeases.ts';
import { createCollabMetrics } from './metrics.ts';

/**
 * How long a connection counts against its user's limit unless its node renews it: after a node dies,
 * its users' connections stop counting within this time.
 */
const CONNECTION_LEASE_MS = 30_000;

/** How long clients get to answer the close handshake on shutdown before their sockets are dropped. */
const SOCKET_CLOSE_GRACE_MS = 1_000;

/** A collab server that is built but not listening: main.ts listens, tests listen on port 0. */
export interface CollabServer {
  /** The Hocuspocus core, for later extensions and tests (open documents, connection counts). */
  hocuspocus: Hocuspocus<CollabContext>;
  /** The Prometheus registry served at /metrics. */
  metrics: Registry;
  /** Starts accepting HTTP and WebSocket connections; resolves with the port actually bound. */
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting, closes every connection, unloads every document (storing it), then frees the port. */
  close(): Promise<void>;
}

/**
 * Assembles the collaboration server from the shared services. Hooks run by priority: auth (1000) and
 * Redis (1000, whose store lock must come before the store), limits (900), the update log (200), the
 * client-update check that applies what clients send (150), then the rest (100). On close, once every
 * document is stored, the update log commits what is still queued (onDestroy) before main.ts closes the
 * database.
 */
export function createCollabServer(services: Services): CollabServer {
  const { config, db, bus, log, revocations } = services;
  const metrics = createCollabMetrics(() => server.hocuspocus);
  const persistence = new PersistenceExtension({ db, log, metrics });
  const server: Server<CollabContext> = new Server<CollabContext>({
    // Signals belong to main.ts (shared/lifecycle.ts); Hocuspocus would otherwise exit on its own.
    stopOnSignals: false,
    // The start screen is console output; main.ts logs the address through pino.
    quiet: true,
    debounce: config.COLLAB_STORE_DEBOUNCE_MS,
    maxDebounce: config.COLLAB_STORE_MAX_DEBOUNCE_MS,
    // A bigger frame closes that socket with 1009 before anything decodes it.
    websocketOptions: { maxPayload: config.COLLAB_MAX_MESSAGE_BYTES },
    extensions: [
      new AuthExtension({
        db,
        tokens: services.tokens,
        accessTokens: services.accessTokens,
        log,
        onRefused: (reason) => metrics.countRefusal(reason),
        revocations,
      }),
      ...(config.REDIS_URL ? [createRedisExtension(config, log)] : []),
      new LimitsExtension({
        maxDocumentBytes: config.COLLAB_MAX_DOCUMENT_BYTES,
        maxConnectionsPerUser: config.COLLAB_MAX_CONNECTIONS_PER_USER,
        leases: services.redis
          ? new RedisConnectionLeases(services.redis, config.REDIS_PREFIX, CONNECTION_LEASE_MS)
          : new MemoryConnectionLeases(CONNECTION_LEASE_MS),
        renewEveryMs: CONNECTION_LEASE_MS / 3,
        log,
        metrics,
      }),
      new UpdateLogExtension({ db, bus, log, commitIntervalMs: config.COLLAB_LOG_COMMIT_INTERVAL_MS, metrics }),
      new ClientUpdateExtension({ log, metrics }),
      persistence,
      new MessageMirrorExtension({ db, bus, log }),
      new RenameExtension({ bus, log }),
      new DraftEditExtension({ bus, log }),
      new AccessEventsExtension({ db, bus, log, revocations, onClosed: (reason) => metrics.countClosed(reason) }),
      new OperationsExtension({ services, metrics: metrics.registry }),
    ],
  });

  // destroy() only closes connections attached to a document; refused or never-authenticated sockets
  // stay open and would keep the port bound, so we track every socket ourselves.
  const sockets = new Set<Socket>();
  server.httpServer.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  return {
    hocuspocus: server.hocuspocus,
    metrics: metrics.registry,
    async listen(port, host) {
      // Server.listen(port) ignores port 0 (`if (port)`), so the configuration carries it instead.
      server.configuration.port = port;
      server.configuration.address = host;
      await server.listen();
      return server.address.port;
    },
    async close() {
      const closed = server.httpServer.listening ? once(server.httpServer, 'close') : Promise.resolve();
      // Closes every connection, runs the pending stores now and resolves once every document is
      // stored and unloaded (Server.ts › destroy, Hocuspocus.ts › flushPendingStores); a document whose
      // store keeps failing unloads rather than holding the shutdown up.
      persistence.storeFailedNow();
      await server.destroy();
      for (const socket of sockets) socket.end();
      const timer = setTimeout(() => sockets.forEach((socket) => socket.destroy()), SOCKET_CLOSE_GRACE_MS);
      await closed;
      clearTimeout(timer);
    },
  };
}
