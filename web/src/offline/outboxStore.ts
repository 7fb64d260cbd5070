import { clear, createStore, del, get, set, values, type UseStore } from 'idb-keyval';
import { localDatabaseName } from './localData.ts';

/** The kinds of action the outbox carries: the REST writes a person makes that must not be lost or doubled. */
export type OutboxKind = 'postMessage' | 'createShare' | 'acceptInvitation';

/** Why the server refused an action for good, in its own words. */
export interface OutboxFailure {
  status: number;
  code: string;
  message: string;
}

/** One action waiting in the outbox (kept in IndexedDB, so a reload or a closed tab loses nothing). */
export interface OutboxAction {
  /** The Idempotency-Key, chosen when the person acted: every try of this action sends the same one. */
  key: string;
  kind: OutboxKind;
  /** The route, with its ids filled in: `/api/conversations/<id>/messages`. */
  path: string;
  body: unknown;
  /** The conversation it belongs to, if any: that conversation's page shows it pending or failed. */
  conversationId?: string;
  /** What the person sees of it while it waits: the message's text, "Share link (can view)". */
  summary: string;
  /** When the person acted (ms since epoch); actions are sent in this order. */
  createdAt: number;
  /** Tries that got no final answer so far: the next wait grows with it. */
  attempts: number;
  /** Not tried again before this (ms since epoch). */
  nextTryAt: number;
  /** Set once the server refused it for good: it waits for Retry or Discard. */
  failure?: OutboxFailure;
}

/** One person's outbox in IndexedDB (`twinmcp:<userId>:outbox`), keyed by idempotency key. */
export class OutboxStore {
  private readonly store: UseStore;

  constructor(userId: string) {
    this.store = createStore(localDatabaseName(userId, 'outbox'), 'actions');
  }

  async all(): Promise<OutboxAction[]> {
    const actions = await values<OutboxAction>(this.store);
    return actions.sort((a, b) => a.createdAt - b.createdAt);
  }

  get(key: string): Promise<OutboxAction | undefined> {
    return get<OutboxAction>(key, this.store);
  }

  put(action: OutboxAction): Promise<void> {
    return set(action.key, action, this.store);
  }

  remove(key: string): Promise<void> {
    return del(key, this.store);
  }

  clear(): Promise<void> {
    return clear(this.store);
  }
}
