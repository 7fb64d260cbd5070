import type { Connection, Extension, Hocuspocus, onConfigurePayload } from '@hocuspocus/server';
import { can } from '@shared/access/index.ts';
import type { Bus } from '@shared/bus.ts';
import type { Db } from '@shared/db.ts';
import { documentNameFor } from '@shared/documents/conversationDocument.ts';
import { findConversationAccessFacts } from '@shared/documents/findConversationAccessFacts.ts';
import type { Logger } from '@shared/logger.ts';
import { closeConnection, type CloseReason } from '../closeConnection.ts';
import type { SessionRevocations } from '../SessionRevocations.ts';
import type { CollabContext } from './AuthExtension.ts';

interface AccessEventsExtensionOptions {
  db: Db;
  bus: Bus;
  log: Logger;
  revocations: SessionRevocations;
  /** Counts each connection closed, by reason. */
  onClosed?: (reason: CloseReason) => void;
}

/**
 * Ends connections the moment access ends, on every node (each receives the bus event): a revoked share's
 * connections, everything on a deleted conversation's document, every connection of a user whose
 * sessions were revoked. When a member leaves a workspace or changes role, that user's connections are
 * checked again against the access rules, and those whose access or scope changed are closed; the
 * provider reconnects and gets the new answer.
 */
export class AccessEventsExtension implements Extension {
  readonly extensionName = 'AccessEventsExtension';
  private readonly log: Logger;
  private instance!: Hocuspocus<CollabContext>;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly options: AccessEventsExtensionOptions) {
    this.log = options.log.child({ module: 'collab.access-events' });
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance;
    const { bus, revocations } = this.options;
    this.unsubscribe.push(
      bus.subscribe('share.revoked', ({ shareId }) => {
        this.close('share_revoked', (context) => context.actor.type === 'share' && context.actor.shareId === shareId);
      }),
      bus.subscribe('conversation.deleted', ({ conversationId }) => {
        this.close('conversation_deleted', () => true, documentNameFor(conversationId));
      }),
      bus.subscribe('user.sessions_revoked', ({ userId }) => {
        revocations.revoke(userId);
        this.close('session_revoked', (context) => isUser(context, userId));
      }),
      bus.subscribe('member.removed', ({ userId }) => this.recheck(userId)),
      bus.subscribe('member.role_changed', ({ userId }) => this.recheck(userId)),
    );
  }

  async onDestroy(): Promise<void> {
    this.unsubscribe.forEach((stop) => stop());
  }

  private connections(matches: (context: CollabContext) => boolean, documentName?: string): Connection<CollabContext>[] {
    const documents = documentName ? [this.instance.documents.get(documentName)].filter((d) => d !== undefined) : [...this.instance.documents.values()];
    return documents.flatMap((document) => document.getConnections().filter((connection) => connection.context?.actor && matches(connection.context)));
  }

  private close(reason: CloseReason, matches: (context: CollabContext) => boolean, documentName?: string): void {
    const connections = this.connections(matches, documentName);
    for (const connection of connections) {
      closeConnection(connection, reason);
      this.options.onClosed?.(reason);
    }
    if (connections.length > 0) this.log.info({ reason, documentName, closed: connections.length }, 'connections closed');
  }

  /** Asks the access rules again, as they stand now, for each of the user's connections. */
  private async recheck(userId: string): Promise<void> {
    for (const connection of this.connections((context) => isUser(context, userId))) {
      const { actor, conversationId } = connection.context;
      const facts = await findConversationAccessFacts(this.options.db, conversationId, actor);
      const reason: CloseReason | undefined =
        !facts || !can(actor, 'read', facts) ? 'access_revoked' : connection.readOnly !== !can(actor, 'update', facts) ? 'access_changed' : undefined;
      if (!reason) continue;
      closeConnection(connection, reason);
      this.options.onClosed?.(reason);
      this.log.info({ reason, conversationId, userId }, 'connection closed after an access change');
    }
  }
}

const isUser = (context: CollabContext, userId: string) => context.actor.type === 'user' && context.actor.id === userId;
