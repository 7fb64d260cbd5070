import type {
  afterLoadDocumentPayload,
  beforeSyncPayload,
  Document,
  Extension,
  Hocuspocus,
  onAuthenticatePayload,
  onConfigurePayload,
  onDisconnectPayload,
} from '@hocuspocus/server';
import * as Y from 'yjs';
import { AppError } from '@shared/errors.ts';
import type { Logger } from '@shared/logger.ts';
import { CollabRefusal } from '../CollabRefusal.ts';
import type { ConnectionLeases } from '../connectionLeases.ts';
import { connectionsOf } from '../connectionsOf.ts';
import type { CollabMetrics } from '../metrics.ts';
import { carriesUpdate, isEmptyUpdate } from '../syncMessages.ts';
import type { CollabContext } from './AuthExtension.ts';

interface LimitsExtensionOptions {
  /** Largest encoded document, in bytes. */
  maxDocumentBytes: number;
  /** Connections one user may hold, across every node that shares `leases`. */
  maxConnectionsPerUser: number;
  /** Where connections are counted: Redis when nodes share it, this process otherwise. */
  leases: ConnectionLeases;
  /** How often the leases of open connections are renewed; a third of their lifetime. */
  renewEveryMs: number;
  log: Logger;
  metrics: Pick<CollabMetrics, 'countRefusal' | 'countClosed'>;
}

/**
 * Bounds what one client can make the cluster hold: connections per user (refused with
 * `too_many_connections`; counted across nodes, see connectionLeases.ts) and the size of a document (an
 * edit that would grow it past the limit is refused and that connection closed with `document_too_large`;
 * everyone else carries on). The frame size limit is the WebSocket server's `maxPayload` (server.ts).
 *
 * Document sizes are tracked cheaply: the encoded size when the document loaded plus the size of every
 * update applied since, which can only overestimate. Only when that estimate would pass the limit is the
 * document measured for real, by applying the edit to a copy.
 */
export class LimitsExtension implements Extension {
  // After AuthExtension (the actor is known), before UpdateLogExtension (a refused edit is never logged).
  readonly priority = 900;
  readonly extensionName = 'LimitsExtension';
  private readonly log: Logger;
  private instance!: Hocuspocus<CollabContext>;
  private readonly estimatedBytes = new WeakMap<Document, number>();
  private renewal: NodeJS.Timeout | undefined;

  constructor(private readonly options: LimitsExtensionOptions) {
    this.log = options.log.child({ module: 'collab.limits' });
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    // Hocuspocus hands extensions its instance untyped; this server's is a Hocuspocus<CollabContext> (server.ts).
    this.instance = instance as Hocuspocus<CollabContext>;
    this.renewal = setInterval(() => void this.renewLeases(), this.options.renewEveryMs).unref();
  }

  async onAuthenticate({ context, socketId, documentName }: onAuthenticatePayload<CollabContext>): Promise<void> {
    const actor = context.actor;
    if (actor?.type !== 'user') return;
    const limit = this.options.maxConnectionsPerUser;
    let admitted: boolean;
    try {
      admitted = await this.options.leases.acquire(actor.id, leaseName(socketId, documentName), limit);
    } catch (error) {
      // A limit against abuse is not worth an outage: without Redis, connections are let through.
      this.log.warn({ err: error, userId: actor.id }, 'connection leases unavailable; connection admitted without counting it');
      return;
    }
    if (admitted) return;
    this.log.info({ userId: actor.id, socketId, limit }, 'connection refused: too many connections');
    this.options.metrics.countRefusal('too_many_connections');
    throw new CollabRefusal(new AppError(429, 'too_many_connections', 'Too many open connections'));
  }

  async onDisconnect({ context, socketId, documentName }: onDisconnectPayload<CollabContext>): Promise<void> {
    const actor = context?.actor;
    if (actor?.type !== 'user') return;
    await this.options.leases.release(actor.id, leaseName(socketId, documentName)).catch((error: unknown) => {
      this.log.warn({ err: error, userId: actor.id }, 'connection lease not released; it lapses on its own');
    });
  }

  async onDestroy(): Promise<void> {
    clearInterval(this.renewal);
  }

  async afterLoadDocument({ document }: afterLoadDocumentPayload): Promise<void> {
    this.estimatedBytes.set(document, Y.encodeStateAsUpdate(document).byteLength);
    document.on('update', (update: Uint8Array) =>
      this.estimatedBytes.set(document, (this.estimatedBytes.get(document) ?? 0) + update.byteLength),
    );
  }

  async beforeSync({ type, payload, connection, document, context }: beforeSyncPayload<CollabContext>): Promise<void> {
    if (connection.readOnly || !carriesUpdate(type) || isEmptyUpdate(payload)) return;
    const max = this.options.maxDocumentBytes;
    const estimate = this.estimatedBytes.get(document) ?? 0;
    if (estimate + payload.byteLength <= max) return;
    const measured = measureWith(document, payload);
    if (measured === undefined || measured <= max) {
      // Measured for real: start estimating from the truth again.
      this.estimatedBytes.set(document, Y.encodeStateAsUpdate(document).byteLength);
      return;
    }
    this.log.warn(
      { conversationId: context.conversationId, socketId: connection.socketId, bytes: measured, limit: max },
      'edit refused: document too large',
    );
    this.options.metrics.countClosed('document_too_large');
    throw new CollabRefusal(new AppError(413, 'document_too_large', 'The document would grow past its size limit'));
  }

  /** Keeps the leases of this node's open connections from lapsing. */
  private async renewLeases(): Promise<void> {
    const leases: Array<{ userId: string; connection: string }> = [];
    for (const document of this.instance.documents.values()) {
      for (const connection of connectionsOf(document)) {
        const actor = connection.context?.actor;
        if (actor?.type === 'user') leases.push({ userId: actor.id, connection: leaseName(connection.socketId, document.name) });
      }
    }
    await this.options.leases.renew(leases).catch((error: unknown) => this.log.warn({ err: error }, 'connection leases not renewed'));
  }
}

/** One lease per connection: a socket may carry several documents. */
const leaseName = (socketId: string, documentName: string) => `${socketId}\0${documentName}`;

/** The encoded size of the document with the update applied, measured on a copy; undefined if it does not apply. */
function measureWith(document: Document, update: Uint8Array): number | undefined {
  const copy = new Y.Doc();
  try {
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(document));
    Y.applyUpdate(copy, update);
    return Y.encodeStateAsUpdate(copy).byteLength;
  } catch {
    // Not ours to judge: UpdateLogExtension refuses updates that do not decode.
    return undefined;
  } finally {
    copy.destroy();
  }
}
