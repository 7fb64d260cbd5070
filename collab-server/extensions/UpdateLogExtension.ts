import crypto from 'node:crypto';
import {
  isTransactionOrigin,
  type afterLoadDocumentPayload,
  type beforeSyncPayload,
  type Document,
  type Extension,
} from '@hocuspocus/server';
import * as Y from 'yjs';
import type { Bus } from '@shared/bus.ts';
import type { Db } from '@shared/db.ts';
import type { TitleChange } from '@shared/documents/appendConversationUpdate.ts';
import { conversationIdOf, DocumentFields } from '@shared/documents/conversationDocument.ts';
import { titleForTable } from '@shared/documents/documentTitle.ts';
import type { Logger } from '@shared/logger.ts';
import { isFailoverError } from '@shared/failover/isFailoverError.ts';
import { closeConnection } from '../closeConnection.ts';
import type { CollabMetrics } from '../metrics.ts';
import { carriesUpdate } from '../syncMessages.ts';
import { AcknowledgementGate } from '../updateLog/AcknowledgementGate.ts';
import { UpdateLogWriter } from '../updateLog/UpdateLogWriter.ts';
import type { CollabContext } from './AuthExtension.ts';

interface UpdateLogExtensionOptions {
  db: Db;
  /** Title changes written to the table are announced (`conversation.renamed`, source `document`). */
  bus: Bus;
  log: Logger;
  /** Shortest time between two commits of the update log (group commit). */
  commitIntervalMs: number;
  metrics: Pick<CollabMetrics, 'countLogged' | 'countClosed'>;
}

/** What the update log knows of one loaded document. */
interface LogState {
  conversationId: string;
  /** Settles when every change made to the document in this node's memory so far is committed; false if one failed. */
  committed: Promise<boolean>;
  /** Changes whose commit failed, merged: written again with the next change or acknowledgement. */
  unlogged?: Uint8Array;
  /** The title those changes gave the document, if they changed it: written with them. */
  unloggedTitle?: string;
}

/**
 * Makes every acknowledged edit survive the node: a node acknowledges an edit (or a sync) only once
 * everything its copy of the document holds is in PostgreSQL.
 *
 * Every change to a loaded document — from its own clients, from other nodes through Redis, from
 * messages posted through the REST API — is queued for the next group commit of the update log
 * (UpdateLogWriter) the moment it is applied. Nothing waits for that except acknowledgements
 * (AcknowledgementGate): the edit reaches the other clients and nodes at once. Logging what arrives
 * through Redis too, not only what this node's clients send, closes a gap: a client whose node died
 * reconnects here and syncs only what this node lacks, so an edit this node received from the dead
 * node, unlogged there, would otherwise be acknowledged with nowhere durable to live. On two nodes
 * each edit is logged twice; storing the document folds the rows away.
 *
 * `beforeSync` runs before a client's update is applied (by ClientUpdateExtension, which runs next and
 * checks it first, so the log only ever holds updates that decode and respect the document's shape):
 * it makes the acknowledgement wait for the commit. If a commit fails, every connection to the document
 * is closed (their providers reconnect and send again) and the changes are written with the next commit.
 */
export class UpdateLogExtension implements Extension {
  readonly priority = 200;
  readonly extensionName = 'UpdateLogExtension';
  private readonly log: Logger;
  private readonly writer: UpdateLogWriter;
  private readonly acknowledgements = new AcknowledgementGate();
  private readonly states = new WeakMap<Document, LogState>();

  constructor(private readonly options: UpdateLogExtensionOptions) {
    this.log = options.log.child({ module: 'collab.update-log' });
    this.writer = new UpdateLogWriter(options.db, options.commitIntervalMs, options.metrics.countLogged, (renamed) =>
      this.announceRenames(renamed),
    );
  }

  /** Runs before the other extensions' afterLoadDocument, so the changes they make are logged too. */
  async afterLoadDocument({ document, documentName }: afterLoadDocumentPayload): Promise<void> {
    const state: LogState = { conversationId: conversationIdOf(documentName)!, committed: Promise.resolve(true) };
    this.states.set(document, state);
    const title = document.getText(DocumentFields.title);
    document.on('update', (update: Uint8Array, origin: unknown, _doc: Y.Doc, transaction: Y.Transaction) => {
      // A title this node's clients changed goes to the table with the commit that logs the change
      // (shared/documents/documentTitle.ts); renames arriving from elsewhere were written there already.
      const fromClient = isTransactionOrigin(origin) && origin.source === 'connection';
      this.append(
        document,
        state,
        update,
        fromClient && transaction.changed.has(title as unknown as Y.AbstractType<Y.YEvent<Y.Text>>)
          ? titleForTable(title.toString())
          : undefined,
      );
    });
  }

  async beforeSync({ type, connection, document }: beforeSyncPayload<CollabContext>): Promise<void> {
    // Read-only connections' updates are answered "not applied" and dropped (MessageReceiver.ts).
    if (connection.readOnly || !carriesUpdate(type)) return;
    const state = this.states.get(document);
    if (!state) return;
    this.acknowledgements.gate(connection, () => state.committed);
    if (state.unlogged) this.append(document, state, undefined);
  }

  /** Runs after every document is stored: commits what is still queued before the database closes. */
  async onDestroy(): Promise<void> {
    await this.writer.drain();
  }

  /** Queues `update` (with whatever failed before) and makes the document's next acknowledgements wait for it. */
  private append(document: Document, state: LogState, update: Uint8Array | undefined, newTitle?: string): void {
    const retried = state.unlogged;
    const title = newTitle ?? state.unloggedTitle;
    state.unlogged = undefined;
    state.unloggedTitle = undefined;
    const rows = retried && update ? Y.mergeUpdates([retried, update]) : (retried ?? update);
    if (!rows) return;
    const written = this.writer.append(state.conversationId, rows, title).then(
      (outcome) => {
        if (outcome === 'conversation_gone') this.conversationGone(document, state);
        return outcome === 'logged';
      },
      (error: unknown) => {
        if (title !== undefined) state.unloggedTitle ??= title;
        this.notLogged(document, state, rows, error);
        return false;
      },
    );
    // A retry covers every failure before it, so it starts the chain afresh; otherwise all must hold.
    const before = retried ? Promise.resolve(true) : state.committed;
    state.committed = Promise.all([before, written]).then(([a, b]) => a && b);
  }

  /** Tells every node — cached share views, lists — that a document's title reached the table. */
  private announceRenames(renamed: TitleChange[]): void {
    for (const { conversationId, title } of renamed) {
      this.options.bus
        .publish('conversation.renamed', { conversationId, title, source: 'document', eventId: crypto.randomUUID() })
        .catch((error: unknown) => this.log.warn({ err: error, conversationId }, 'rename not announced'));
    }
  }

  /**
   * The conversation was deleted while its edits waited: there is nothing to keep them for. Its
   * connections close as they would on the bus event (which may be late, or lost), and their providers
   * learn at reconnect that it is gone.
   */
  private conversationGone(document: Document, state: LogState): void {
    const connections = document.getConnections();
    if (connections.length > 0)
      this.log.info(
        { conversationId: state.conversationId, connections: connections.length },
        "conversation deleted; closing the document's connections",
      );
    for (const connection of connections) {
      this.options.metrics.countClosed('conversation_deleted');
      closeConnection(connection, 'conversation_deleted');
    }
  }

  private notLogged(document: Document, state: LogState, update: Uint8Array, error: unknown): void {
    state.unlogged = state.unlogged ? Y.mergeUpdates([state.unlogged, update]) : update;
    const connections = document.getConnections();
    // A failover is expected to cost a few seconds of this; anything else is a fault worth an error.
    this.log[isFailoverError(error) ? 'warn' : 'error'](
      { err: error, conversationId: state.conversationId, connections: connections.length },
      "changes not logged; closing the document's connections",
    );
    // Not acknowledged, so not lost: their providers reconnect and send again.
    for (const connection of connections) {
      this.options.metrics.countClosed('storage_unavailable');
      closeConnection(connection, 'storage_unavailable');
    }
  }
}
