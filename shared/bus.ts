import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { MessageRole } from './access/message.ts';
import type { DocumentAttachment, DocumentExecution } from './documents/conversationDocument.ts';
import type { Logger } from './logger.ts';

/** A message as it travels on the bus (and as the collab document stores it). */
export interface BusMessage {
  id: string;
  role: MessageRole;
  /** The person who posted it; null for a service account's message, or when the account is gone. */
  authorId: string | null;
  /** The service account (API key) that posted it; null for a person's message. */
  serviceAccountId: string | null;
  content: string;
  createdAt: string;
  /** When its author last edited it (ISO 8601); null if never. */
  editedAt: string | null;
  /** Its files, in upload order (the whole list, on every event: listeners replace what they hold). */
  attachments: DocumentAttachment[];
  /** On `tool` messages: the code run they record (absent from nodes older than code execution). */
  execution?: DocumentExecution | null;
}

/**
 * Every event on the bus and its payload. Later capabilities add theirs here, so that a publisher
 * and a listener can never disagree about a payload's shape.
 */
export interface BusEvents {
  /** A conversation and its messages are gone; collab nodes close every connection to its document. */
  'conversation.deleted': { conversationId: string; workspaceId: string | null; actorId: string | null };
  /**
   * A conversation's title changed: renamed through the API (`api`), or edited in its document and
   * written back to the table by the collab node that logged the edit (`document`).
   */
  'conversation.renamed': {
    conversationId: string;
    title: string;
    source: 'api' | 'document';
    eventId: string;
    /** For `api`: the rename as a Yjs update (base64), for the nodes that hold the document to apply. */
    update?: string;
  };
  /**
   * The shared draft was edited through the API (shared/documents/conversationDraft.ts): `update` is the
   * edit as a Yjs update (base64), already in the document's update log, for the nodes that hold it to apply.
   */
  'draft.edited': { conversationId: string; update: string };
  /** A message was stored; collab nodes append it to the open document. */
  'message.created': { conversationId: string; message: BusMessage };
  /** A message's content changed. */
  'message.updated': { conversationId: string; message: BusMessage };
  /** A message was removed. */
  'message.deleted': { conversationId: string; messageId: string };
  /** A share link was revoked; collab nodes close every connection opened with it. */
  'share.revoked': { shareId: string; conversationId: string };
  /** A user left or was removed from a workspace; collab nodes close their connections to its documents. */
  'member.removed': { workspaceId: string; userId: string };
  /** A member's role changed; collab nodes re-check that user's open connections to the workspace. */
  'member.role_changed': { workspaceId: string; userId: string; role: 'admin' | 'member' | 'viewer' };
  /** Every session of a user ends (logout everywhere, account deletion, replayed refresh token). */
  'user.sessions_revoked': { userId: string; revokedAt: string; generation: number };
  /** A plugin was disabled or uninstalled; every API node stops its running invocations at once. */
  'plugin.disabled': { pluginId: string; reason: 'disabled' | 'uninstalled' | 'pending_consent' };
  /** A backup failed its verification: it will not be offered as a restore point. Pages the operator. */
  'backup.verification_failed': { backupId: string; code: string; reason: string };
  /** A service account was revoked; every node forgets its API key at once (rest-api › ServiceAccountKeys). */
  'service_account.revoked': { serviceAccountId: string };
}

export type BusEventName = keyof BusEvents;
export type BusListener<E extends BusEventName> = (payload: BusEvents[E]) => void | Promise<void>;

export interface Bus {
  /** Delivers the event to every listener in every process; resolves once it has been handed over. */
  publish<E extends BusEventName>(event: E, payload: BusEvents[E]): Promise<void>;
  /** Registers a listener; returns the function that removes it. */
  subscribe<E extends BusEventName>(event: E, listener: BusListener<E>): () => void;
  /** Resolves when the bus can deliver (Redis answers, for the Redis bus). */
  isReady(): Promise<boolean>;
  close(): Promise<void>;
}

/** Runs listeners without letting one listener's failure reach the publisher or the others. */
class ListenerSet {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  constructor(private readonly log: Logger) {}

  add<E extends BusEventName>(event: E, listener: BusListener<E>): () => void {
    const wrapped = (payload: BusEvents[E]) => {
      Promise.resolve()
        .then(() => listener(payload))
        .catch((error: unknown) => this.log.error({ err: error, event }, 'bus listener failed'));
    };
    this.emitter.on(event, wrapped);
    return () => this.emitter.off(event, wrapped);
  }

  dispatch(event: string, payload: unknown): void {
    this.emitter.emit(event, payload);
  }
}

/** Single-process bus: the embedded default. */
export function createMemoryBus(log: Logger): Bus {
  const listeners = new ListenerSet(log);
  return {
    async publish(event, payload) {
      // Structured clone keeps the in-process bus honest: listeners get a copy, as they would over Redis.
      listeners.dispatch(event, structuredClone(payload));
    },
    subscribe: (event, listener) => listeners.add(event, listener),
    isReady: async () => true,
    close: async () => {},
  };
}

/**
 * Redis pub/sub bus: one channel per deployment (`<prefix>bus`), one subscriber connection per
 * process. Delivery is at-most-once, like pub/sub itself: listeners must treat events as prompts to act
 * on durable state, never as the state.
 */
export async function createRedisBus(options: { url: string; prefix: string; log: Logger }): Promise<Bus> {
  const { url, prefix, log } = options;
  const channel = `${prefix}bus`;
  const publisher = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  const subscriber = new Redis(url, { lazyConnect: true });
  for (const client of [publisher, subscriber]) {
    client.on('error', (error) => log.warn({ err: error }, 'redis bus connection error'));
  }
  await Promise.all([publisher.connect(), subscriber.connect()]);
  const listeners = new ListenerSet(log);
  subscriber.on('message', (from, raw: string) => {
    if (from !== channel) return;
    try {
      const { event, payload } = JSON.parse(raw) as { event: string; payload: unknown };
      listeners.dispatch(event, payload);
    } catch (error) {
      log.warn({ err: error }, 'dropped malformed bus message');
    }
  });
  await subscriber.subscribe(channel);
  return {
    async publish(event, payload) {
      await publisher.publish(channel, JSON.stringify({ event, payload }));
    },
    subscribe: (event, listener) => listeners.add(event, listener),
    async isReady() {
      try {
        return (await publisher.ping()) === 'PONG' && subscriber.status === 'ready';
      } catch {
        return false;
      }
    },
    async close() {
      subscriber.disconnect();
      await publisher.quit().catch(() => publisher.disconnect());
    },
  };
}

/** The bus the configuration asks for: Redis when REDIS_URL is set, in-process otherwise. */
export function createBus(options: { redisUrl?: string; prefix: string; log: Logger }): Promise<Bus> {
  const log = options.log.child({ module: 'bus' });
  return options.redisUrl ? createRedisBus({ url: options.redisUrl, prefix: options.prefix, log }) : Promise.resolve(createMemoryBus(log));
}
