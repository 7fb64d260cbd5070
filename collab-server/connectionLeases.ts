import type { Redis } from 'ioredis';

/**
 * Who holds how many collab connections, so that COLLAB_MAX_CONNECTIONS_PER_USER is one limit for the
 * whole cluster rather than one per node. Each connection holds a lease on its user's count; the node
 * renews the leases of its live connections and releases them when they close. A node that dies
 * without releasing simply stops renewing: its leases lapse within `leaseMs`, so a crash never locks a
 * user out for longer than that.
 */
export interface ConnectionLeases {
  /** Takes a lease for one connection of the user; false (and nothing taken) when the user holds `max` already. */
  acquire(userId: string, connection: string, max: number): Promise<boolean>;
  /** Extends the leases of connections that are still open. */
  renew(leases: ReadonlyArray<{ userId: string; connection: string }>): Promise<void>;
  release(userId: string, connection: string): Promise<void>;
}

/**
 * Drops lapsed leases, counts the rest, and takes one if the count allows — atomically, so two nodes
 * admitting the same user at once cannot both take the last place.
 * KEYS[1] the user's lease set; ARGV: now, max, lease expiry, connection, key TTL (ms).
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/** Leases in Redis (a sorted set per user, scored by expiry): every node sees every other node's connections. */
export class RedisConnectionLeases implements ConnectionLeases {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly leaseMs: number,
  ) {}

  async acquire(userId: string, connection: string, max: number): Promise<boolean> {
    const now = Date.now();
    const taken = await this.redis.eval(ACQUIRE, 1, this.key(userId), now, max, now + this.leaseMs, connection, this.leaseMs);
    return taken === 1;
  }

  async renew(leases: ReadonlyArray<{ userId: string; connection: string }>): Promise<void> {
    if (leases.length === 0) return;
    const until = Date.now() + this.leaseMs;
    const pipeline = this.redis.pipeline();
    for (const { userId, connection } of leases) {
      // XX: renew only what is still there; a lease dropped meanwhile is not brought back.
      pipeline.zadd(this.key(userId), 'XX', until, connection).pexpire(this.key(userId), this.leaseMs);
    }
    await pipeline.exec();
  }

  async release(userId: string, connection: string): Promise<void> {
    await this.redis.zrem(this.key(userId), connection);
  }

  private key(userId: string): string {
    return `${this.prefix}collab:connections:${userId}`;
  }
}

/** Leases in this process only: the embedded default, where one node is the whole cluster. */
export class MemoryConnectionLeases implements ConnectionLeases {
  private readonly leases = new Map<string, Map<string, number>>();

  constructor(private readonly leaseMs: number) {}

  async acquire(userId: string, connection: string, max: number): Promise<boolean> {
    const now = Date.now();
    const held = this.leases.get(userId) ?? new Map<string, number>();
    for (const [key, until] of held) if (until <= now) held.delete(key);
    if (held.size >= max) return false;
    held.set(connection, now + this.leaseMs);
    this.leases.set(userId, held);
    return true;
  }

  async renew(leases: ReadonlyArray<{ userId: string; connection: string }>): Promise<void> {
    const until = Date.now() + this.leaseMs;
    for (const { userId, connection } of leases) {
      const held = this.leases.get(userId);
      if (held?.has(connection)) held.set(connection, until);
    }
  }

  async release(userId: string, connection: string): Promise<void> {
    const held = this.leases.get(userId);
    held?.delete(connection);
    if (held?.size === 0) this.leases.delete(userId);
  }
}
