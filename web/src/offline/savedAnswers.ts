import { clear, createStore, delMany, get, keys, set, type UseStore } from 'idb-keyval';
import { localDatabaseName, onWipe } from './localData.ts';

/**
 * The last answer of the reads a conversation page needs (the conversation, its messages, the
 * workspace's members, the lists), kept per person (`twinmcp:<userId>:answers`) so that a conversation
 * opened before opens again offline. Only used when the server cannot be reached at all.
 */
const KEPT_ROUTES = new Set([
  '/api/conversations',
  '/api/conversations/{id}',
  '/api/conversations/{id}/messages',
  '/api/workspace/{id}/members',
]);

const stores = new Map<string, UseStore>();

function storeOf(userId: string): UseStore {
  let store = stores.get(userId);
  if (!store) stores.set(userId, (store = createStore(localDatabaseName(userId, 'answers'), 'answers')));
  return store;
}

/** True for the reads worth keeping for offline use. */
export function isKeptForOffline(route: string): boolean {
  return KEPT_ROUTES.has(route);
}

/** Keeps the answer to `url` for later (failures to store are not the reader's problem). */
export function keepAnswer(userId: string, url: string, answer: unknown): void {
  void set(url, answer, storeOf(userId)).catch(() => undefined);
}

/** How long a kept answer may take to read before the page gives up on it (IndexedDB can stall silently). */
const READ_TIMEOUT_MS = 2_000;

/** The kept answer to `url`, if any. */
export async function savedAnswer(userId: string, url: string): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const gaveUp = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), READ_TIMEOUT_MS)));
  const answer = await Promise.race([get<unknown>(url, storeOf(userId)).catch(() => undefined), gaveUp]);
  clearTimeout(timer);
  return answer;
}

/** Forgets the kept answers under `prefix` (a conversation's URL): the person can no longer read it. */
export async function forgetAnswers(userId: string, prefix: string): Promise<void> {
  const store = storeOf(userId);
  const all = await keys<string>(store).catch(() => []);
  const about = all.filter((url) => url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`));
  await delMany(about, store).catch(() => undefined);
}

onWipe(async (userId) => {
  if (stores.has(userId)) await clear(storeOf(userId));
});
