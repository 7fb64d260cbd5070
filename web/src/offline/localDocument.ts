import { IndexeddbPersistence } from 'y-indexeddb';
import type * as Y from 'yjs';
import { deleteDatabase, localDatabaseName } from './localData.ts';

/**
 * How long a conversation's copy on this device may take to load before a warning says it is missing.
 * y-indexeddb emits no error events: when IndexedDB is unavailable (some private modes) or stalls,
 * `whenSynced` never settles, and the conversation goes on without the copy. A slow device is not a
 * broken one, though: a copy that loads late is still merged and kept saving.
 */
export const LOCAL_COPY_TIMEOUT_MS = 2_000;

/** The scope the collab server last granted, kept beside the document for opening it offline. */
const SCOPE_KEY = 'scope';
/** How many edits were made away from the server and not yet synced, so a reopened page still says so. */
const WAITING_KEY = 'waiting';
/** y-indexeddb's object store of document updates. */
const UPDATES_STORE = 'updates';

/** A conversation's document kept on this device (IndexedDB), per person and conversation. */
export class LocalDocument {
  private readonly persistence: IndexeddbPersistence | null;
  /** Resolves true once the copy on this device is loaded into the document, false when it cannot be; pending while IndexedDB stalls. */
  readonly ready: Promise<boolean>;

  constructor(
    doc: Y.Doc,
    private readonly name: string,
  ) {
    this.persistence = openPersistence(name, doc);
    this.ready = this.persistence ? loadWithin(this.persistence, name) : Promise.resolve(false);
  }

  /** True when it is the persistence that applied this update (loading the copy is not an edit). */
  isOwnOrigin(origin: unknown): boolean {
    return origin !== null && origin === this.persistence;
  }

  /** The scope (`read-write`, `readonly`) the server granted last time, if known. */
  async lastScope(): Promise<string | undefined> {
    const value: unknown = await this.persistence?.get(SCOPE_KEY).catch(() => undefined);
    return typeof value === 'string' ? value : undefined;
  }

  rememberScope(scope: string): void {
    void this.persistence?.set(SCOPE_KEY, scope).catch(() => undefined);
  }

  /** The count of edits waiting for the server when the document was last open. */
  async lastWaiting(): Promise<number> {
    const value: unknown = await this.persistence?.get(WAITING_KEY).catch(() => 0);
    return typeof value === 'number' ? value : 0;
  }

  rememberWaiting(count: number): void {
    void this.persistence?.set(WAITING_KEY, count).catch(() => undefined);
  }

  /**
   * Resolves true once every update the document has had so far is written on this device, false when
   * that cannot be known (no IndexedDB, or the copy closed). y-indexeddb writes each update in a
   * transaction of its own and tells nobody when it ends, and a page closed or reloaded before then loses
   * it (the browser aborts unfinished transactions). A read of the same store begun after those writes
   * ends only after them, because IndexedDB runs transactions over the same store in the order they
   * began. So that read ending is the signal.
   */
  async written(): Promise<boolean> {
    if (!this.persistence) return false;
    try {
      const db = await this.persistence._db;
      return await new Promise<boolean>((resolve) => {
        const transaction = db.transaction([UPDATES_STORE], 'readonly');
        transaction.oncomplete = () => resolve(true);
        transaction.onerror = transaction.onabort = () => resolve(false);
      });
    } catch {
      return false;
    }
  }

  /** Stops saving (the document is closing); the copy stays for next time. */
  close(): void {
    void this.persistence?.destroy().catch(() => undefined);
  }

  /** Stops saving and deletes the copy: the person lost access to the conversation. */
  async wipe(): Promise<void> {
    await this.persistence?.destroy().catch(() => undefined);
    await deleteDatabase(this.name);
  }
}

/** The local copy of `conversationId` for `userId`. */
export function localDocument(doc: Y.Doc, userId: string, conversationId: string): LocalDocument {
  return new LocalDocument(doc, localDatabaseName(userId, conversationId));
}

/** Deletes the copy of a conversation that is not open (a REST 404 said it is gone or no longer shared). */
export function wipeLocalDocument(userId: string, conversationId: string): Promise<void> {
  return deleteDatabase(localDatabaseName(userId, conversationId));
}

function openPersistence(name: string, doc: Y.Doc): IndexeddbPersistence | null {
  try {
    const persistence = new IndexeddbPersistence(name, doc);
    // Opening fails with a rejected promise nobody else awaits (IndexedDB disabled): keep it from going unhandled.
    persistence.whenSynced.catch(() => undefined);
    return persistence;
  } catch (error) {
    console.warn('This conversation is not saved on this device: IndexedDB is unavailable.', error);
    return null;
  }
}

async function loadWithin(persistence: IndexeddbPersistence, name: string): Promise<boolean> {
  const warning = setTimeout(
    () => console.warn(`The copy of ${name} on this device did not load within ${LOCAL_COPY_TIMEOUT_MS} ms; going on without it for now.`),
    LOCAL_COPY_TIMEOUT_MS,
  );
  const isLoaded = await persistence.whenSynced.then(
    () => true,
    () => false,
  );
  clearTimeout(warning);
  return isLoaded;
}
