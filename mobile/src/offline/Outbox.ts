import { ApiError } from '../api/ApiError';
import type { Connectivity } from './Connectivity';
import { afterTry, outcomeOf, type Outcome, type Progress } from './outboxRules';

/** AsyncStorage's shape (getItem/setItem/removeItem): what the outbox persists through. */
export interface KeyValueStorage {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
}

/** AsyncStorage's shape kept in a Map: for tests, whose Node has no AsyncStorage native module. */
export function memoryKeyValueStorage(): KeyValueStorage & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    getItem: async (key) => entries.get(key) ?? null,
    setItem: async (key, value) => void entries.set(key, value),
    removeItem: async (key) => void entries.delete(key),
  };
}

/** What the person asked for: a POST route and body, and how the app shows it while it waits. */
export interface NewAction {
  kind: 'message' | 'share';
  path: string;
  body: unknown;
  conversationId?: string;
  /** One line for the "waiting" and "couldn't send" lists. */
  summary: string;
}

/** An action in the outbox: what was asked, its Idempotency-Key, and how its tries went. */
export interface OutboxAction extends NewAction, Progress {
  /** The Idempotency-Key, chosen once when the person acted and sent with every try. */
  key: string;
  createdAt: number;
}

export interface OutboxOptions {
  userId: string;
  storage: KeyValueStorage;
  connectivity: Connectivity;
  /** One try of an action: POST `path` with `body` and the Idempotency-Key (ApiClient.call). */
  send(action: OutboxAction): Promise<unknown>;
  now?: () => number;
  random?: () => number;
}

/**
 * One person's outbox: POSTs kept on this phone (AsyncStorage) until the server has them. Every action
 * keeps the idempotency key chosen when the person acted, so a resend after a lost answer is answered
 * from the first result instead of done twice. Actions go in the order they were made; one that must
 * wait holds back those after it (messages keep their order). Sent at once, when the network returns,
 * when the app starts, and after a backoff; refusals that would only repeat stay as "couldn't send"
 * until the person retries or discards them.
 */
export class Outbox {
  private readonly listeners = new Set<(actions: OutboxAction[]) => void>();
  private cache: Promise<OutboxAction[]> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;
  private isFlushAgain = false;
  private isStopped = false;
  private readonly unsubscribe: () => void;
  private readonly now: () => number;

  constructor(private readonly options: OutboxOptions) {
    this.now = options.now ?? Date.now;
    this.unsubscribe = options.connectivity.subscribe((isOnline) => void (isOnline ? this.retryNow() : clearTimeout(this.timer)));
  }

  private get storageKey(): string {
    return `twinmcp.outbox:${this.options.userId}`;
  }

  /** Keeps the action and starts sending it; resolves once it is stored, not once it is sent. */
  async add(action: NewAction, key: string): Promise<OutboxAction> {
    const now = this.now();
    const kept: OutboxAction = { ...action, key, createdAt: now, attempts: 0, nextTryAt: now };
    await this.update((actions) => [...actions, kept]);
    void this.flush();
    return kept;
  }

  /** Every action still here, oldest first: waiting ones and failed ones. */
  actions(): Promise<OutboxAction[]> {
    this.cache ??= this.options.storage
      .getItem(this.storageKey)
      .then((json) => (json ? (JSON.parse(json) as OutboxAction[]) : []))
      .catch(() => []);
    return this.cache;
  }

  /** Calls `listener` with the outbox now and after every change; returns the unsubscribe. */
  subscribe(listener: (actions: OutboxAction[]) => void): () => void {
    this.listeners.add(listener);
    void this.actions().then(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends a failed action again, with the same key. */
  async retry(key: string): Promise<void> {
    const now = this.now();
    await this.update((actions) => actions.map((a) => (a.key === key ? { ...a, failure: undefined, attempts: 0, nextTryAt: now } : a)));
    void this.flush();
  }

  /** Drops an action for good. */
  async discard(key: string): Promise<void> {
    await this.update((actions) => actions.filter((a) => a.key !== key));
  }

  /** Tries everything waiting now, whatever its backoff: the network came back, or the app started. */
  async retryNow(): Promise<void> {
    const now = this.now();
    await this.update((actions) => actions.map((a) => (a.failure ? a : { ...a, nextTryAt: Math.min(a.nextTryAt, now) })));
    await this.flush();
  }

  /** Sends what is due, in order, until something must wait; then sets a timer for the next try. */
  flush(): Promise<void> {
    if (this.flushing) {
      this.isFlushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      try {
        do {
          this.isFlushAgain = false;
          await this.sendDue();
        } while (this.isFlushAgain && !this.isStopped);
      } finally {
        this.flushing = undefined;
        await this.scheduleNext();
      }
    })();
    return this.flushing;
  }

  /** Stops sending (sign-out, another person signs in); what is stored stays for its owner. */
  stop(): void {
    this.isStopped = true;
    clearTimeout(this.timer);
    this.unsubscribe();
  }

  /** Stops and empties the outbox: the person signed out on purpose. */
  async wipe(): Promise<void> {
    this.stop();
    this.cache = Promise.resolve([]);
    await this.options.storage.removeItem(this.storageKey);
    this.listeners.forEach((listener) => listener([]));
  }

  private async sendDue(): Promise<void> {
    for (const action of await this.actions()) {
      if (this.isStopped || !this.options.connectivity.isOnline()) return;
      if (action.failure) continue;
      if (action.nextTryAt > this.now()) return;
      const outcome = await this.trySending(action);
      const next = afterTry(action, outcome, this.now(), this.options.random);
      await this.update((actions) =>
        next ? actions.map((a) => (a.key === action.key ? next : a)) : actions.filter((a) => a.key !== action.key),
      );
      // What comes after waits, so messages keep the order they were written in.
      if (next && !next.failure) return;
    }
  }

  private async trySending(action: OutboxAction): Promise<Outcome> {
    try {
      await this.options.send(action);
      return { kind: 'done' };
    } catch (error) {
      return error instanceof ApiError ? outcomeOf(error) : { kind: 'retry' };
    }
  }

  private async scheduleNext(): Promise<void> {
    clearTimeout(this.timer);
    if (this.isStopped || !this.options.connectivity.isOnline()) return;
    const waiting = (await this.actions()).filter((action) => !action.failure);
    if (waiting.length === 0) return;
    const next = Math.min(...waiting.map((action) => action.nextTryAt));
    this.timer = setTimeout(() => void this.flush(), Math.max(0, next - this.now()));
  }

  /** Changes the list, persists it before anyone hears of it, then tells the listeners. */
  private async update(change: (actions: OutboxAction[]) => OutboxAction[]): Promise<void> {
    const previous = this.actions();
    const next = previous.then(change);
    this.cache = next;
    const actions = await next;
    await this.options.storage.setItem(this.storageKey, JSON.stringify(actions));
    this.listeners.forEach((listener) => listener(actions));
  }
}
