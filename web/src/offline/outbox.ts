import { ApiError, SIGNED_IN_EVENT, send, session, withSession } from '../api.ts';
import { onWipe } from './localData.ts';
import { afterTry, outcomeOf, type Outcome } from './outboxRules.ts';
import { OutboxStore, type OutboxAction, type OutboxKind } from './outboxStore.ts';

export type { OutboxAction, OutboxKind } from './outboxStore.ts';

/** What the person asked for: the route and body, and how the page shows it while it waits. */
export interface NewAction {
  kind: OutboxKind;
  path: string;
  body: unknown;
  conversationId?: string;
  summary: string;
}

/** How an action ended, for a page still open when it did: the server's answer, or its refusal. */
export type Settled = { kind: 'done'; data: unknown } | { kind: 'failed'; failure: NonNullable<OutboxAction['failure']> };

/** Tabs of one person take turns sending (a Web Lock), so two tabs never send the same action at once. */
const lockName = (userId: string) => `twinmcp-outbox:${userId}`;
/** Other tabs of this browser learn that the outbox changed and show it again. */
const CHANNEL = 'twinmcp-outbox';

/**
 * One person's outbox: REST actions kept on this device until the server has them. Each carries the
 * idempotency key chosen when the person acted, so a resend after a lost answer is recognised and
 * answered from the first result instead of being done twice. Actions go in the order they were made;
 * one that must wait holds back those after it. Sent at once, on `online`, when the app starts, and
 * after a backoff; refusals that would only repeat stay in the outbox as failed for Retry or Discard.
 */
export class Outbox {
  private readonly store: OutboxStore;
  private readonly listeners = new Set<(actions: OutboxAction[]) => void>();
  private readonly waiting = new Map<string, (settled: Settled) => void>();
  private readonly channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private isFlushing = false;
  private isFlushAgain = false;
  private isStopped = false;
  private readonly cameOnline = () => void this.retryNow();

  constructor(readonly userId: string) {
    this.store = new OutboxStore(userId);
    window.addEventListener('online', this.cameOnline);
    if (this.channel) this.channel.onmessage = () => void this.notify(false);
  }

  /** Keeps the action and sends it; resolves when it is safely stored (not when it is sent). */
  async add(action: NewAction, key: string = crypto.randomUUID()): Promise<{ key: string; settled: Promise<Settled> }> {
    const now = Date.now();
    await this.store.put({ ...action, key, createdAt: now, attempts: 0, nextTryAt: now });
    const settled = new Promise<Settled>((resolve) => this.waiting.set(key, resolve));
    await this.notify();
    void this.flush();
    return { key, settled };
  }

  /** Every action still here, oldest first: pending ones and failed ones. */
  actions(): Promise<OutboxAction[]> {
    return this.store.all();
  }

  /** Calls `listener` with the outbox now and after every change; returns the unsubscribe. */
  subscribe(listener: (actions: OutboxAction[]) => void): () => void {
    this.listeners.add(listener);
    void this.store.all().then(listener, () => undefined);
    return () => this.listeners.delete(listener);
  }

  /** Sends a failed action again, with the same key: the server may take it now (access given back, say). */
  async retry(key: string): Promise<void> {
    const action = await this.store.get(key);
    if (!action) return;
    await this.store.put({ ...action, failure: undefined, attempts: 0, nextTryAt: Date.now() });
    await this.notify();
    void this.flush();
  }

  /** Drops an action for good. */
  async discard(key: string): Promise<void> {
    await this.store.remove(key);
    await this.notify();
  }

  /** Tries everything pending now, whatever its backoff: the network came back, or the app started. */
  async retryNow(): Promise<void> {
    const now = Date.now();
    for (const action of await this.store.all())
      if (!action.failure && action.nextTryAt > now) await this.store.put({ ...action, nextTryAt: now });
    await this.flush();
  }

  /** Empties the outbox (sign-out) and stops sending. */
  async wipe(): Promise<void> {
    this.stop();
    await this.store.clear();
  }

  stop(): void {
    this.isStopped = true;
    clearTimeout(this.timer);
    window.removeEventListener('online', this.cameOnline);
    this.channel?.close();
  }

  /** Sends what is due, in order, until something must wait; then sets a timer for the next try. */
  async flush(): Promise<void> {
    if (this.isFlushing) {
      this.isFlushAgain = true;
      return;
    }
    this.isFlushing = true;
    try {
      do {
        this.isFlushAgain = false;
        await withLock(lockName(this.userId), () => this.sendDue());
      } while (this.isFlushAgain && !this.isStopped);
    } finally {
      this.isFlushing = false;
      await this.scheduleNext();
    }
  }

  private async sendDue(): Promise<void> {
    for (const action of await this.store.all()) {
      // Only the person who acted sends it: after a switch of account the actions wait for their owner.
      if (this.isStopped || !navigator.onLine || session.get()?.user.id !== this.userId) return;
      if (action.failure) continue;
      // Another tab may have sent or dropped it meanwhile.
      const current = await this.store.get(action.key);
      if (!current || current.failure) continue;
      if (current.nextTryAt > Date.now()) return;
      const { outcome, data } = await trySending(current);
      const next = afterTry(current, outcome, Date.now());
      if (next) await this.store.put(next);
      else await this.store.remove(current.key);
      if (!next) this.settle(current.key, { kind: 'done', data });
      else if (next.failure) this.settle(current.key, { kind: 'failed', failure: next.failure });
      else {
        await this.notify();
        // What comes after waits, so messages keep the order they were written in.
        return;
      }
      await this.notify();
    }
  }

  private settle(key: string, settled: Settled): void {
    this.waiting.get(key)?.(settled);
    this.waiting.delete(key);
  }

  private async scheduleNext(): Promise<void> {
    clearTimeout(this.timer);
    if (this.isStopped) return;
    const pending = (await this.store.all()).filter((action) => !action.failure);
    if (pending.length === 0) return;
    const next = Math.min(...pending.map((action) => action.nextTryAt));
    // Offline, the `online` event starts the next round; a timer would only find the network still gone.
    if (!navigator.onLine) return;
    this.timer = setTimeout(() => void this.flush(), Math.max(0, next - Date.now()));
  }

  private async notify(tellOtherTabs = true): Promise<void> {
    const actions = await this.store.all();
    for (const listener of this.listeners) listener(actions);
    if (tellOtherTabs) this.channel?.postMessage('changed');
  }
}

/** One try of an action, with its idempotency key; the session is refreshed once if it has expired. */
async function trySending(action: Pick<OutboxAction, 'key' | 'path' | 'body'>): Promise<{ outcome: Outcome; data?: unknown }> {
  try {
    const res = await withSession((accessToken) =>
      send('POST', action.path, { body: action.body, accessToken, accept: 'application/json', idempotencyKey: action.key }),
    );
    const answer = (await res.json().catch(() => null)) as { data?: unknown } | null;
    return { outcome: { kind: 'done' }, data: answer?.data };
  } catch (error) {
    if (error instanceof ApiError) return { outcome: outcomeOf(error) };
    return { outcome: { kind: 'retry' } };
  }
}

/** One try, for an action this device could not keep: whatever stops it is reported, nothing retried. */
async function sendOnce(action: Pick<OutboxAction, 'key' | 'path' | 'body'>): Promise<Settled> {
  try {
    const res = await withSession((accessToken) =>
      send('POST', action.path, { body: action.body, accessToken, accept: 'application/json', idempotencyKey: action.key }),
    );
    const answer = (await res.json().catch(() => null)) as { data?: unknown } | null;
    return { kind: 'done', data: answer?.data };
  } catch (error) {
    const { status, code, message } = error instanceof ApiError ? error : new ApiError(0, 'network_error', 'Sending failed.');
    return { kind: 'failed', failure: { status, code, message } };
  }
}

async function withLock(name: string, run: () => Promise<void>): Promise<void> {
  // Web Locks exist only in secure contexts (https, localhost); elsewhere the server's idempotency still holds.
  if (navigator.locks) await navigator.locks.request(name, run);
  else await run();
}

let current: Outbox | undefined;

/**
 * The signed-in person's outbox (none when nobody is signed in). Created on first use, which also sends
 * whatever a previous visit left in it.
 */
export function outbox(): Outbox | undefined {
  const userId = session.get()?.user.id;
  if (current && current.userId !== userId) {
    current.stop();
    current = undefined;
  }
  if (!current && userId) {
    current = new Outbox(userId);
    void current.retryNow();
  }
  return current;
}

onWipe(async (userId) => {
  if (current?.userId === userId) {
    await current.wipe();
    current = undefined;
  } else await new OutboxStore(userId).clear();
});

/**
 * How long keeping an action may take. IndexedDB can stall without an error (some private modes); past
 * this the action is sent once directly instead, with the same key, so a copy the outbox sends later
 * anyway is answered from the first.
 */
export const KEEP_TIMEOUT_MS = 2_000;

/**
 * Keeps an action in the signed-in person's outbox and sends it; `settled` resolves when the server
 * took or refused it (maybe much later, once back online). When it cannot be kept (nobody signed in,
 * no IndexedDB) it is sent once now, and `settled` reports how that went.
 */
export async function sendKept(action: NewAction): Promise<{ key: string; isKept: boolean; settled: Promise<Settled> }> {
  const key = crypto.randomUUID();
  const box = outbox();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const kept = box
    ? await Promise.race([
        box.add(action, key).catch(() => null),
        new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), KEEP_TIMEOUT_MS))),
      ])
    : null;
  clearTimeout(timer);
  if (kept) return { ...kept, isKept: true };
  console.warn('This action could not be kept on this device; it is sent once, without retries.');
  return { key, isKept: false, settled: sendOnce({ key, path: action.path, body: action.body }) };
}

// The outbox starts with the app (main.ts loads this module with the views that use it): whatever a
// previous visit left is sent now, and signing in starts that person's outbox.
outbox();
window.addEventListener(SIGNED_IN_EVENT, () => void outbox()?.retryNow());
