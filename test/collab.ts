import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';
import type { Db } from '@shared/db.ts';
import { loadConversationState } from '@shared/documents/loadConversationState.ts';
import type { Services } from '@shared/services.ts';
import { createCollabServer, type CollabServer } from '../collab-server/server.ts';

export interface TestCollab {
  server: CollabServer;
  port: number;
  /** `ws://127.0.0.1:<port>` */
  url: string;
  /** `http://127.0.0.1:<port>` for /healthz, /readyz, /metrics. */
  httpUrl: string;
  /** Opens a provider that the collab's close() destroys. */
  connect(name: string, token: string | null, options?: ProviderOptions): TestProvider;
  /** Destroys every provider, then closes the server. The services stay open. */
  close(): Promise<void>;
}

/** How a provider's authentication ended: accepted with a scope, or refused with a reason. */
export type AuthOutcome = { status: 'authenticated'; scope: string } | { status: 'refused'; reason: string };

export interface TestProvider {
  provider: HocuspocusProvider;
  doc: Y.Doc;
  /** The first authentication answer for this document. */
  outcome: Promise<AuthOutcome>;
  /** Every authentication answer so far, first to last (a reconnect adds one). */
  outcomes: AuthOutcome[];
  /** The reasons of every close the provider saw, server close messages and socket closes alike. */
  closes: string[];
  /** Resolves on the first sync with the server. */
  synced: Promise<void>;
  /** Closes the provider and its socket. */
  destroy(): void;
}

export interface ProviderOptions {
  /** Milliseconds before the socket reconnects after a close; default 100 (the provider's own is 1 s). */
  reconnectDelay?: number;
}

/**
 * Opens a real HocuspocusProvider over `ws` (Node's own WebSocket is not what the tests want to pin).
 * `url` may be a function: it is asked again at every (re)connect, the way a load balancer would send a
 * reconnecting client to a node that is still up.
 */
export function openProvider(
  url: string | (() => string),
  name: string,
  token: string | null,
  options: ProviderOptions = {},
): TestProvider {
  const doc = new Y.Doc();
  const outcomes: AuthOutcome[] = [];
  const closes: string[] = [];
  let markSynced!: () => void;
  const synced = new Promise<void>((resolve) => (markSynced = resolve));
  let settle!: (outcome: AuthOutcome) => void;
  const outcome = new Promise<AuthOutcome>((resolve) => (settle = resolve));
  const record = (answer: AuthOutcome) => {
    outcomes.push(answer);
    settle(answer);
  };
  const pickUrl = typeof url === 'function' ? url : () => url;
  // Ignores the URL the provider passes and asks `pickUrl` instead, at every connect.
  const Socket = class extends WebSocket {
    constructor() {
      super(pickUrl());
    }
  };
  const delay = options.reconnectDelay ?? 100;
  // The provider's own options cannot take a WebSocket implementation in v4: that belongs to the socket.
  const websocketProvider = new HocuspocusProviderWebsocket({
    url: pickUrl(),
    WebSocketPolyfill: Socket,
    delay,
    minDelay: delay,
    maxDelay: delay * 4,
  });
  const provider = new HocuspocusProvider({
    websocketProvider,
    name,
    document: doc,
    token,
    onAuthenticated: ({ scope }) => record({ status: 'authenticated', scope }),
    onAuthenticationFailed: ({ reason }) => record({ status: 'refused', reason }),
    onClose: ({ event }) => closes.push(event.reason),
    onSynced: () => markSynced(),
  });
  // A provider given its socket does not attach itself (HocuspocusProvider.ts › manageSocket).
  provider.attach();
  return {
    provider,
    doc,
    outcome,
    outcomes,
    closes,
    synced,
    destroy: () => {
      provider.destroy();
      websocketProvider.destroy();
    },
  };
}

/** A collab server on port 0 built from the test app's services (same database, same JWT secret). */
export async function startTestCollab(app: { services: Services }): Promise<TestCollab> {
  const server = createCollabServer(app.services);
  const port = await server.listen(0, '127.0.0.1');
  const url = `ws://127.0.0.1:${port}`;
  const providers: TestProvider[] = [];
  return {
    server,
    port,
    url,
    httpUrl: `http://127.0.0.1:${port}`,
    connect(name, token, options) {
      const opened = openProvider(url, name, token, options);
      providers.push(opened);
      return opened;
    },
    async close() {
      for (const provider of providers) provider.destroy();
      await server.close();
    },
  };
}

/** The document exactly as PostgreSQL holds it (stored state plus update log), as a fresh node would load it. */
export async function documentInDatabase(db: Db, conversationId: string): Promise<Y.Doc> {
  const doc = new Y.Doc();
  const loaded = await loadConversationState(db, conversationId);
  if (loaded?.update) Y.applyUpdate(doc, loaded.update);
  return doc;
}

/** Resolves once every edit the provider made has been acknowledged by the server. */
export function acknowledged(provider: HocuspocusProvider, timeoutMs = 5_000): Promise<void> {
  return waitFor('the server to acknowledge every edit', () => provider.unsyncedChanges === 0, timeoutMs);
}

/** Resolves once `check` holds, polling every 10 ms; rejects after `timeoutMs` naming what it waited for. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
