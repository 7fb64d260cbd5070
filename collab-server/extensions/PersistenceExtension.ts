import { Database } from '@hocuspocus/extension-database';
import type { fetchPayload, storePayload } from '@hocuspocus/server';
import type { Db } from '@shared/db.ts';
import { conversationIdOf } from '@shared/documents/conversationDocument.ts';
import { loadConversationState } from '@shared/documents/loadConversationState.ts';
import { storeConversationState } from '@shared/documents/storeConversationState.ts';
import { NotFoundError } from '@shared/errors.ts';
import type { Logger } from '@shared/logger.ts';
import { isFailoverError } from '@shared/failover/isFailoverError.ts';
import { retryAfterFailover } from '@shared/failover/retryAfterFailover.ts';
import { CollabRefusal } from '../CollabRefusal.ts';
import type { CollabMetrics } from '../metrics.ts';

interface PersistenceExtensionOptions {
  db: Db;
  log: Logger;
  metrics: Pick<CollabMetrics, 'countLoaded' | 'countStored'>;
}

/**
 * Loads documents from and stores them to PostgreSQL through the official Database extension: on first
 * open the stored state plus the update log since; debounced after edits, when the last client leaves
 * and on shutdown, the merged state (which folds the update log away). Stores into a conversation that
 * was deleted meanwhile are skipped, so its document can unload.
 */
export class PersistenceExtension extends Database {
  readonly extensionName = 'PersistenceExtension';
  private readonly log: Logger;

  constructor(private readonly options: PersistenceExtensionOptions) {
    super({});
    this.log = options.log.child({ module: 'collab.persistence' });
    this.configuration = { fetch: (payload) => this.fetch(payload), store: (payload) => this.store(payload) };
  }

  private async fetch({ documentName }: fetchPayload): Promise<Uint8Array | null> {
    const conversationId = conversationIdOf(documentName)!;
    const loaded = await loadConversationState(this.options.db, conversationId);
    if (!loaded) {
      this.log.info({ conversationId }, 'document not loaded: the conversation is gone');
      throw new CollabRefusal(new NotFoundError('Conversation not found'));
    }
    if (loaded.skippedUpdates > 0)
      this.log.error({ conversationId, skipped: loaded.skippedUpdates }, 'update log rows that do not decode were left out');
    this.options.metrics.countLoaded(loaded.loggedUpdates);
    this.log.debug({ conversationId, bytes: loaded.update?.byteLength ?? 0, loggedUpdates: loaded.loggedUpdates }, 'document loaded');
    return loaded.update;
  }

  private async store({ documentName, state }: storePayload): Promise<void> {
    const conversationId = conversationIdOf(documentName)!;
    const started = performance.now();
    try {
      // Hocuspocus does not store again a document whose store failed: with no new edit it would stay
      // loaded for good, and the server's shutdown, which waits for every document to unload, with it.
      const outcome = await retryAfterFailover(this.options.db, () => storeConversationState(this.options.db, conversationId, state));
      const ms = Math.round(performance.now() - started);
      if (outcome.stored) {
        this.options.metrics.countStored('stored', outcome.bytes, outcome.compactedUpdates);
        this.log.debug({ conversationId, bytes: outcome.bytes, compactedUpdates: outcome.compactedUpdates, ms }, 'document stored');
      } else {
        this.options.metrics.countStored(outcome.reason);
        this.log.info({ conversationId }, 'document not stored: the conversation is gone');
      }
    } catch (error) {
      // Nothing is lost: every acknowledged edit is in the update log, which the next store or load folds in.
      this.options.metrics.countStored('failed');
      // The database was away for longer than the retries: the next edit's store tries again.
      if (isFailoverError(error)) this.log.warn({ err: error, conversationId }, 'document store failed: database failover');
      else this.log.error({ err: error, conversationId }, 'document store failed');
      throw error;
    }
  }
}
