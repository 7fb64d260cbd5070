import type { beforeSyncPayload, Extension } from '@hocuspocus/server';
import * as Y from 'yjs';
import { recreateMessageEntries } from '@shared/documents/mirrorMessages.ts';
import { AppError } from '@shared/errors.ts';
import type { Logger } from '@shared/logger.ts';
import { MalformedUpdateError, sanitizeClientUpdate } from '../clientUpdates/sanitizeClientUpdate.ts';
import { CollabRefusal } from '../CollabRefusal.ts';
import type { CollabMetrics } from '../metrics.ts';
import { serverOrigin } from '../serverOrigin.ts';
import { carriesUpdate, isEmptyUpdate } from '../syncMessages.ts';
import type { CollabContext } from './AuthExtension.ts';

interface ClientUpdateExtensionOptions {
  log: Logger;
  metrics: Pick<CollabMetrics, 'countClosed' | 'countSanitized'>;
}

/**
 * The one place a client's update enters a document. `beforeSync` runs before Hocuspocus applies the
 * update (MessageReceiver.ts › readSyncMessage); here it is checked and applied instead:
 *
 * - bytes that do not decode are refused and the connection closed (`malformed_update`), before
 *   anything is applied, broadcast or logged;
 * - whatever the client may not write — the server-owned `messages`, roots other than `title` and
 *   `draft`, content of the wrong kind — is taken out first (clientUpdates/sanitizeClientUpdate.ts), and
 *   message entries it tried to change are re-created so that client sees them again;
 * - the rest is applied under the connection's origin, which broadcasts it and queues it for the log.
 *
 * Hocuspocus then applies the frame's update itself. The payload this hook is handed is a view of the
 * frame (lib0 decoding › readUint8Array returns a subarray), so it is zeroed once applied: an all-zero
 * update decodes as "no structs, no deletions", and what was taken out can never slip in behind us.
 * Runs after the update log (which gates the acknowledgement) and the limits (which may refuse first).
 */
export class ClientUpdateExtension implements Extension {
  readonly priority = 150;
  readonly extensionName = 'ClientUpdateExtension';
  private readonly log: Logger;

  constructor(private readonly options: ClientUpdateExtensionOptions) {
    this.log = options.log.child({ module: 'collab.client-updates' });
  }

  async beforeSync({ type, payload, connection, document, context }: beforeSyncPayload<CollabContext>): Promise<void> {
    // Read-only connections' updates are answered "not applied" and dropped (MessageReceiver.ts).
    if (connection.readOnly || !carriesUpdate(type) || isEmptyUpdate(payload)) return;
    const { conversationId } = context;
    let sanitized;
    try {
      sanitized = sanitizeClientUpdate(document, payload);
    } catch (error) {
      if (!(error instanceof MalformedUpdateError)) throw error;
      this.log.warn(
        { conversationId, socketId: connection.socketId, bytes: payload.byteLength, why: error.message },
        'malformed update refused',
      );
      this.options.metrics.countClosed('malformed_update');
      throw new CollabRefusal(new AppError(400, 'malformed_update', 'The update does not decode'));
    }
    Y.applyUpdate(document, sanitized.update, { source: 'connection', connection });
    payload.fill(0);
    const { removedItems, removedDeletions, tamperedEntries } = sanitized;
    if (removedItems === 0 && removedDeletions === 0) return;
    this.options.metrics.countSanitized(removedItems, removedDeletions);
    this.log.warn(
      {
        conversationId,
        socketId: connection.socketId,
        actor: actorOf(context),
        removedItems,
        removedDeletions,
        tamperedEntries: tamperedEntries.length,
      },
      'client update changed what clients may not write; those parts were left out',
    );
    if (tamperedEntries.length > 0) document.transact(() => recreateMessageEntries(document, tamperedEntries), serverOrigin('restore'));
  }
}

/** Who sent it, for the log: a user id, or the share link it came through. */
function actorOf({ actor }: CollabContext): string {
  return actor.type === 'user' ? `user:${actor.id}` : `share:${actor.shareId}`;
}
