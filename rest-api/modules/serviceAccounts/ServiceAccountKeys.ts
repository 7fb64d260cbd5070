import type { Knex } from 'knex';
import { LRUCache } from 'lru-cache';
import type { ServicePrincipal } from '@shared/access/index.ts';
import type { Bus } from '@shared/bus.ts';
import { AuthenticationError } from '@shared/errors.ts';
import type { Logger } from '@shared/logger.ts';
import { hasApiKeyShape, hashApiKey } from './apiKeys.ts';
import { findLivePrincipalByKeyHash, touchServiceAccount } from './serviceAccounts.repo.ts';

/** How many keys a process remembers; an entry is its hash and the account's scope. */
const KEYS_KEPT = 10_000;
/**
 * Longest a remembered key is trusted without asking the database again: the safety net should a
 * `service_account.revoked` event be lost (Redis pub/sub does not retry). Events do the real work.
 */
const TRUST_MS = 30_000;
/** `last_used_at` is written at most this often per account: a timestamp, not a write per request. */
export const LAST_USED_EVERY_MS = 60_000;

/**
 * The one check of a service account's API key. A key is found by its SHA-256 in a unique index, never
 * compared with stored keys: how long the lookup takes depends only on the hash, which an attacker
 * cannot steer towards a stored one without a preimage, so timing reveals nothing of any key (the
 * design GitHub's and Stripe's keys use, and ours for refresh tokens). A key not of the exact shape is
 * refused without a query.
 *
 * A key that passed is remembered by its hash, so a request costs no query. Revoking is permanent and
 * must hold at once on every node: the revoking node forgets the account before it answers, and every
 * other node when `service_account.revoked` reaches it. Revoked ids are remembered too, so a lookup
 * that read the row just before the revocation committed cannot put the key back into the cache.
 * Unknown keys are not remembered, so a spray of made-up keys cannot evict real ones.
 */
export class ServiceAccountKeys {
  private readonly accounts = new LRUCache<string, ServicePrincipal>({ max: KEYS_KEPT, ttl: TRUST_MS });
  private readonly revoked = new LRUCache<string, true>({ max: KEYS_KEPT });
  /** When this process last wrote each account's `last_used_at` (ms). */
  private readonly lastUseWritten = new LRUCache<string, number>({ max: KEYS_KEPT });
  private readonly unsubscribe: () => void;

  constructor(
    private readonly db: Knex,
    bus: Bus,
    private readonly log: Logger,
  ) {
    this.unsubscribe = bus.subscribe('service_account.revoked', ({ serviceAccountId }) => this.forget(serviceAccountId));
  }

  /** The key's service account, as the access model's principal; 401 `token_invalid` for an unknown or revoked key. */
  async verify(key: string, now = Date.now()): Promise<ServicePrincipal> {
    if (!hasApiKeyShape(key)) throw invalidKey();
    const hash = hashApiKey(key);
    let principal = this.accounts.get(hash);
    if (!principal) {
      const found = await findLivePrincipalByKeyHash(this.db, hash);
      if (!found || this.revoked.has(found.id)) throw invalidKey();
      this.accounts.set(hash, found);
      principal = found;
    }
    await this.recordUse(principal.id, now);
    return principal;
  }

  /** Forgets a revoked account's key for good: from now on this process refuses it. */
  forget(serviceAccountId: string): void {
    this.revoked.set(serviceAccountId, true);
    const hashes = [...this.accounts.entries()].filter(([, principal]) => principal.id === serviceAccountId).map(([hash]) => hash);
    for (const hash of hashes) this.accounts.delete(hash);
  }

  close(): void {
    this.unsubscribe();
  }

  /**
   * Writes `last_used_at` when this process has not for a minute (the statement itself skips the write
   * when another node did). A failed write is logged, never a failed request: it is bookkeeping.
   */
  private async recordUse(serviceAccountId: string, now: number): Promise<void> {
    const last = this.lastUseWritten.get(serviceAccountId);
    if (last !== undefined && now - last < LAST_USED_EVERY_MS) return;
    this.lastUseWritten.set(serviceAccountId, now);
    try {
      await touchServiceAccount(this.db, serviceAccountId);
    } catch (error) {
      this.log.warn({ err: error, serviceAccountId }, 'could not record when a service account was last used');
    }
  }
}

const invalidKey = () => new AuthenticationError('Invalid API key', 'token_invalid');
