import { type afterLoadDocumentPayload, type Document, type Extension, type Hocuspocus, type onConfigurePayload } from '@hocuspocus/server';
import type { Bus, BusMessage } from '@shared/bus.ts';
import type { Db } from '@shared/db.ts';
import { conversationIdOf, messagesOf, type DocumentMessage } from '@shared/documents/conversationDocument.ts';
import { listConversationMessages } from '@shared/documents/listConversationMessages.ts';
import {
  hasDuplicateMessages,
  reconcileMessages,
  removeDuplicateMessages,
  removeMessage,
  upsertMessage,
} from '@shared/documents/mirrorMessages.ts';
import type { Logger } from '@shared/logger.ts';
import { applyToOpenDocument } from '../applyToOpenDocument.ts';
import { serverOrigin } from '../serverOrigin.ts';

interface MessageMirrorExtensionOptions {
  db: Db;
  bus: Bus;
  log: Logger;
}

const fromBus = (message: BusMessage): DocumentMessage => ({
  id: message.id,
  role: message.role,
  author: message.authorId,
  // An event from a node older than service accounts carries no such field: a person's message.
  serviceAccount: message.serviceAccountId ?? null,
  content: message.content,
  createdAt: message.createdAt,
  editedAt: message.editedAt,
  attachments: message.attachments,
  execution: message.execution ?? null,
});

/**
 * Keeps each document's `messages` equal to the `messages` table. A message posted, edited or deleted
 * through the REST API reaches every node as a bus event, and each node that holds the document applies
 * it at once; a node that does not hold it does nothing, because loading a document reconciles it with
 * the table. Everything is idempotent by message id, and entries two nodes both added are deduplicated
 * as soon as their updates meet (mirrorMessages.ts › removeDuplicateMessages). Clients cannot write
 * `messages` at all (ClientUpdateExtension); a document stored malformed anyway — older data, a bug — is
 * repaired from the table as it loads, and logged.
 */
export class MessageMirrorExtension implements Extension {
  readonly extensionName = 'MessageMirrorExtension';
  private readonly log: Logger;
  private instance!: Hocuspocus;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly options: MessageMirrorExtensionOptions) {
    this.log = options.log.child({ module: 'collab.messages' });
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance;
    const { bus } = this.options;
    this.unsubscribe.push(
      bus.subscribe('message.created', ({ conversationId, message }) =>
        this.apply(conversationId, (doc) => upsertMessage(doc, fromBus(message))),
      ),
      bus.subscribe('message.updated', ({ conversationId, message }) =>
        this.apply(conversationId, (doc) => upsertMessage(doc, fromBus(message))),
      ),
      bus.subscribe('message.deleted', ({ conversationId, messageId }) =>
        this.apply(conversationId, (doc) => removeMessage(doc, messageId)),
      ),
    );
  }

  /** Runs after Redis has synced the document from other nodes (higher priority), so it adds the fewest duplicates. */
  async afterLoadDocument({ document, documentName }: afterLoadDocumentPayload): Promise<void> {
    const conversationId = conversationIdOf(documentName)!;
    const rows = await listConversationMessages(this.options.db, conversationId);
    if (document.isDestroyed) return;
    let malformed = 0;
    document.transact(() => {
      malformed = reconcileMessages(document, rows).malformed;
    }, serverOrigin('load'));
    if (malformed > 0)
      this.log.error({ conversationId, malformed }, 'document held entries in messages that are not messages; repaired from the table');
    messagesOf(document).observeDeep(() => {
      if (hasDuplicateMessages(document)) document.transact(() => removeDuplicateMessages(document), serverOrigin('dedupe'));
    });
  }

  async onDestroy(): Promise<void> {
    this.unsubscribe.forEach((stop) => stop());
  }

  private async apply(conversationId: string, change: (document: Document) => void): Promise<void> {
    if (await applyToOpenDocument(this.instance, conversationId, 'bus', change))
      this.log.debug({ conversationId }, 'message change applied to the open document');
  }
}
