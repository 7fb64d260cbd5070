import type { Connection, connectedPayload, Extension, Hocuspocus, onConfigurePayload, onConnectPayload } from '@hocuspocus/server';
import type { Bus } from '@shared/bus.ts';
import type { Db } from '@shared/db.ts';
import { documentNameFor } from '@shared/documents/conversationDocument.ts';
import type { Logger } from '@shared/logger.ts';
import { closeConnection, type CloseReason } from '../closeConnection.ts';
import { connectionsOf } from '../connectionsOf.ts';
import { currentAccess } from '../currentAccess.ts';
import type { SessionRevocations } from '@shared/sessionRevocations.ts';
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
 *
 * A connection is only reachable through its document once Hocuspocus has attached it, which happens
 * after authentication and after the document has loaded; an event landing in between would find nothing
 * to close. So every connection notes how many events this node had seen when it arrived (`onConnect`,
 * before authentication reads anything), and once attached (`connected`) it is checked again, in full,
 * if any event came in since.
 */
export class AccessEventsExtension implements Extension {
  readonly extensionName = 'AccessEventsExtension';
  private readonly log: Logger;
  private instance!: Hocuspocus<CollabContext>;
  private readonly unsubscribe: Array<() => void> = [];
  /** How many access events this node has received; connections compare it across their set-up. */
  private eventsReceived = 0;

  constructor(private readonly options: AccessEventsExtensionOptions) {
    this.log = options.log.child({ module: 'collab.access-events' });
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    // Hocuspocus hands extensions its instance untyped; this server's is a Hocuspocus<CollabContext> (server.ts).
    this.instance = instance as Hocuspocus<CollabContext>;
    const { bus } = this.options;
    const counted =
      <T>(handle: (event: T) => void | Promise<void>) =>
      (event: T) => {
        this.eventsReceived += 1;
        return handle(event);
      };
    this.unsubscribe.push(
      bus.subscribe(
        'share.revoked',
        counted(({ shareId }) => {
          this.close('share_revoked', (context) => context.actor.type === 'share' && context.actor.shareId === shareId);
        }),
      ),
      bus.subscribe(
        'conversation.deleted',
        counted(({ conversationId }) => {
          this.close('conversation_deleted', () => true, documentNameFor(conversationId));
        }),
      ),
      // The services record the revocation itself (shared/services.ts), so reconnects are refused.
      // Only connections of the older generations: one opened with a token issued after the revocation
      // (the user signed in again before the event arrived) stays open.
      bus.subscribe(
        'user.sessions_revoked',
        counted(({ userId, generation }) => {
          this.close('session_revoked', (context) => isUser(context, userId) && (context.tokenGeneration ?? 0) < generation);
        }),
      ),
      bus.subscribe(
        'member.removed',
        counted(({ userId }) => this.recheckUser(userId)),
      ),
      bus.subscribe(
        'member.role_changed',
        counted(({ userId }) => this.recheckUser(userId)),
      ),
    );
  }

  async onConnect(_payload: onConnectPayload): Promise<Partial<CollabContext>> {
    return { accessEventsSeen: this.eventsReceived };
  }

  async connected({ connection, context }: connectedPayload<CollabContext>): Promise<void> {
    if (context.accessEventsSeen === this.eventsReceived) return;
    await this.recheck(connection);
  }

  async onDestroy(): Promise<void> {
    this.unsubscribe.forEach((stop) => stop());
  }

  private connections(matches: (context: CollabContext) => boolean, documentName?: string): Connection<CollabContext>[] {
    const documents = documentName
      ? [this.instance.documents.get(documentName)].filter((d) => d !== undefined)
      : [...this.instance.documents.values()];
    return documents.flatMap((document) =>
      connectionsOf(document).filter((connection) => connection.context?.actor && matches(connection.context)),
    );
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
  private async recheckUser(userId: string): Promise<void> {
    await Promise.all(this.connections((context) => isUser(context, userId)).map((connection) => this.recheck(connection)));
  }

  /** Closes the connection if its access ended, or its scope changed, since it authenticated. */
  private async recheck(connection: Connection<CollabContext>): Promise<void> {
    const { actor, conversationId, tokenGeneration } = connection.context;
    let access;
    try {
      access = await currentAccess(this.options, actor, conversationId, tokenGeneration);
    } catch (error) {
      // Unable to tell whether access still holds: close, and let the reconnect authenticate afresh.
      this.log.error({ err: error, conversationId }, 'access not re-checked; closing the connection');
      closeConnection(connection, 'storage_unavailable');
      this.options.onClosed?.('storage_unavailable');
      return;
    }
    const reason: CloseReason | undefined =
      access.kind === 'session_revoked'
        ? 'session_revoked'
        : access.kind === 'none'
          ? 'access_revoked'
          : connection.readOnly !== access.readOnly
            ? 'access_changed'
            : undefined;
    if (!reason) return;
    closeConnection(connection, reason);
    this.options.onClosed?.(reason);
    this.log.info(
      {
        reason,
        conversationId,
        actorId: actor.type === 'user' ? actor.id : undefined,
        shareId: actor.type === 'share' ? actor.shareId : undefined,
      },
      'connection closed after an access change',
    );
  }
}

const isUser = (context: CollabContext, userId: string) => context.actor.type === 'user' && context.actor.id === userId;
