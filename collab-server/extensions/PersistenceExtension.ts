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
 * The first wait before a store that failed is tried again; it doubles while stores fail. Longer than the
 * Redis extension's store lock (its lockTimeout, 1 s), which a failed store never releases: a try within
 * it would be skipped as "another node is storing this document", and the document unloaded unstored.
 */
const STORE_AGAIN_FIRST_MS = 2_000;

/** The longest wait between two tries of a store that keeps failing. */
const STORE_AGAIN_MAX_MS = 5 * 60_000;

/** A document whose store failed past its retries, waiting to be stored again. */
interface FailedStore {
  /** Stores that failed in a row. */
  failures: number;
  timer?: NodeJS.Timeout;
  /** Tries the store now, unless the document is gone or an edit's own store is on its way. */
  tryAgain?: () => void;
}

/**
 * Loads documents from and stores them to PostgreSQL through the official Database extension: on first
 * open the stored state plus the update log since; debounced after edits, when the last client leaves
 * and on shutdown, the merged state (which folds the update log away). Stores into a conversation that
 * was deleted meanwhile are skipped, so its document can unload; a store that failed past its retries is
 * tried again later, with no edit needed (afterFailedStore).
 */
export class PersistenceExtension extends Database {
  readonly extensionName = 'PersistenceExtension';
  private readonly log: Logger;
  private readonly failedStores = new Map<string, FailedStore>();
  private isClosing = false;

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

  private async store(payload: storePayload): Promise<void> {
    const { documentName, state } = payload;
    const conversationId = conversationIdOf(documentName)!;
    const started = performance.now();
    try {
      const outcome = await retryAfterFailover(this.options.db, () => storeConversationState(this.options.db, conversationId, state));
      this.forgetFailures(documentName);
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
      if (isFailoverError(error)) this.log.warn({ err: error, conversationId }, 'document store failed: database failover');
      else this.log.error({ err: error, conversationId }, 'document store failed');
      this.afterFailedStore(payload);
      throw error;
    }
  }

  /**
   * Hocuspocus keeps a document whose store failed loaded, to lose nothing, but never stores it again
   * unless someone edits it: it would stay loaded for good, unstored, its update log never folded away,
   * and the server's shutdown (which waits for every document to unload) held up with it. So the store
   * is tried again later, the wait doubling while it keeps failing; an edit's own store goes first. Once
   * the server is closing, a document whose last store failed unloads instead: every acknowledged edit
   * is in the update log, which the next load folds in, and what was never acknowledged its editor
   * still holds and sends again on reconnecting.
   */
  private afterFailedStore(payload: storePayload): void {
    const { instance, document, documentName } = payload;
    if (this.isClosing) {
      this.forgetFailures(documentName);
      // Once this store's run has ended: until then Hocuspocus counts the document as being stored.
      setTimeout(() => void instance.unloadDocument(document), 0);
      return;
    }
    const failed = this.failedStores.get(documentName) ?? { failures: 0 };
    clearTimeout(failed.timer);
    failed.failures += 1;
    failed.tryAgain = () => {
      failed.timer = undefined;
      failed.tryAgain = undefined;
      if (instance.documents.get(documentName) !== document) return this.forgetFailures(documentName);
      const storeId = `onStoreDocument-${documentName}`;
      if (instance.debouncer.isDebounced(storeId) || instance.debouncer.isCurrentlyExecuting(storeId)) return;
      // The stored state is taken afresh from the document (Database › onStoreDocument).
      void instance.storeDocumentHooks(document, payload, true);
    };
    const waitMs = Math.min(STORE_AGAIN_FIRST_MS * 2 ** (failed.failures - 1), STORE_AGAIN_MAX_MS);
    failed.timer = setTimeout(failed.tryAgain, waitMs).unref();
    this.failedStores.set(documentName, failed);
    this.log.info({ documentName, failures: failed.failures, waitMs }, 'document store will be tried again');
  }

  private forgetFailures(documentName: string): void {
    clearTimeout(this.failedStores.get(documentName)?.timer);
    this.failedStores.delete(documentName);
  }

  /**
   * Before the server closes: the stores waiting to be tried again run now, and from here on a store that
   * fails lets its document unload, so the shutdown is not held up by a database that is away.
   */
  storeFailedNow(): void {
    this.isClosing = true;
    for (const failed of this.failedStores.values()) {
      clearTimeout(failed.timer);
      failed.tryAgain?.();
    }
  }

  async afterUnloadDocument({ documentName }: { documentName: string }): Promise<void> {
    this.forgetFailures(documentName);
  }
}
