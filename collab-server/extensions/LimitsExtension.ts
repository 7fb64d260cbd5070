import type { afterLoadDocumentPayload, beforeSyncPayload, connectedPayload, Document, Extension, Hocuspocus, onAuthenticatePayload, onConfigurePayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import { AppError } from '@shared/errors.ts';
import type { Logger } from '@shared/logger.ts';
import { CollabRefusal } from '../CollabRefusal.ts';
import type { CollabMetrics } from '../metrics.ts';
import { carriesUpdate, isEmptyUpdate } from '../syncMessages.ts';
import type { CollabContext } from './AuthExtension.ts';

interface LimitsExtensionOptions {
  /** Largest encoded document, in bytes. */
  maxDocumentBytes: number;
  /** Connections one user may hold on this node. */
  maxConnectionsPerUser: number;
  log: Logger;
  metrics: Pick<CollabMetrics, 'countRefusal' | 'countClosed'>;
}

/** How long an accepted connection counts against its user before it shows up on its document. */
const RESERVATION_MS = 30_000;

/**
 * Bounds what one client can make a node hold: connections per user (refused with
 * `too_many_connections`) and the size of a document (an edit that would grow it past the limit is
 * refused and that connection closed with `document_too_large`; everyone else carries on). The frame
 * size limit is the WebSocket server's `maxPayload` (server.ts).
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
  /** Accepted connections not yet on their document, by `socketId\0documentName`. */
  private readonly reservations = new Map<string, { userId: string; until: number }>();

  constructor(private readonly options: LimitsExtensionOptions) {
    this.log = options.log.child({ module: 'collab.limits' });
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance;
  }

  async onAuthenticate({ context, socketId, documentName }: onAuthenticatePayload<CollabContext>): Promise<void> {
    const actor = context.actor;
    if (actor?.type !== 'user') return;
    const now = Date.now();
    for (const [key, reservation] of this.reservations) if (reservation.until < now) this.reservations.delete(key);
    if (this.connectionsOf(actor.id) >= this.options.maxConnectionsPerUser) {
      this.log.info({ userId: actor.id, socketId, limit: this.options.maxConnectionsPerUser }, 'connection refused: too many connections');
      this.options.metrics.countRefusal('too_many_connections');
      throw new CollabRefusal(new AppError(429, 'too_many_connections', 'Too many open connections'));
    }
    this.reservations.set(`${socketId}\0${documentName}`, { userId: actor.id, until: now + RESERVATION_MS });
  }

  async connected({ socketId, documentName }: connectedPayload): Promise<void> {
    this.reservations.delete(`${socketId}\0${documentName}`);
  }

  async afterLoadDocument({ document }: afterLoadDocumentPayload): Promise<void> {
    this.estimatedBytes.set(document, Y.encodeStateAsUpdate(document).byteLength);
    document.on('update', (update: Uint8Array) => this.estimatedBytes.set(document, (this.estimatedBytes.get(document) ?? 0) + update.byteLength));
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
    this.log.warn({ conversationId: context.conversationId, socketId: connection.socketId, bytes: measured, limit: max }, 'edit refused: document too large');
    this.options.metrics.countClosed('document_too_large');
    throw new CollabRefusal(new AppError(413, 'document_too_large', 'The document would grow past its size limit'));
  }

  private connectionsOf(userId: string): number {
    const sockets = new Set<string>();
    let count = 0;
    for (const document of this.instance.documents.values()) {
      for (const connection of document.getConnections()) {
        const actor = connection.context?.actor;
        if (actor?.type === 'user' && actor.id === userId) {
          count += 1;
          sockets.add(`${connection.socketId}\0${document.name}`);
        }
      }
    }
    for (const [key, reservation] of this.reservations) if (reservation.userId === userId && !sockets.has(key)) count += 1;
    return count;
  }
}

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
