/**
 * What this device keeps for a signed-in person, all in IndexedDB databases named
 * `twinmcp:<userId>:<part>` — one per conversation document, one for the outbox, one for saved answers —
 * so everything of one person can be found, and wiped, by its name.
 */

/** The database of one part of a person's local data: a conversation id, `outbox` or `answers`. */
export function localDatabaseName(userId: string, part: string): string {
  return `twinmcp:${userId}:${part}`;
}

/** Things holding an open connection to a person's data, emptied through it before the databases go. */
const wipers = new Set<(userId: string) => Promise<void>>();

/** Registers what must be emptied when a person's data is wiped (an open store that would block deleting it). */
export function onWipe(wipe: (userId: string) => Promise<void>): void {
  wipers.add(wipe);
}

/**
 * Deletes everything this device keeps for the person: on sign-out, so the next person at this browser
 * finds none of it. Open stores are emptied first (deleting a database waits until its connections close).
 */
export async function wipeLocalData(userId: string): Promise<void> {
  await Promise.all([...wipers].map((wipe) => wipe(userId).catch(() => undefined)));
  // indexedDB.databases() is missing in older browsers; then only the emptied stores are cleared.
  const databases = (await indexedDB.databases?.().catch(() => [])) ?? [];
  const prefix = localDatabaseName(userId, '');
  await Promise.all(databases.flatMap(({ name }) => (name?.startsWith(prefix) ? [deleteDatabase(name)] : [])));
}

/** Deletes one database; a deletion blocked by a connection still open completes when it closes. */
export function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve) => {
    try {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    } catch {
      resolve();
    }
  });
}
