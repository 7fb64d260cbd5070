import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueName } from '../test/services.ts';
import { MemoryConnectionLeases, RedisConnectionLeases, type ConnectionLeases } from './connectionLeases.ts';

const LEASE_MS = 1_000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(['redis', 'memory'] as const)('connection leases in %s', (kind) => {
  let redis: Redis | undefined;
  let prefix: string;
  let leases: ConnectionLeases;

  beforeAll(() => {
    prefix = `${uniqueName('twinmcp-test')}:`;
    if (kind === 'redis') redis = new Redis(TEST_REDIS_URL);
    leases = redis ? new RedisConnectionLeases(redis, prefix, LEASE_MS) : new MemoryConnectionLeases(LEASE_MS);
  });
  afterAll(async () => {
    await deleteRedisKeys(prefix);
    redis?.disconnect();
  });

  it('admits up to the limit, then none until one is released', async () => {
    const user = crypto.randomUUID();
    expect(await Promise.all(['a', 'b', 'c'].map((connection) => leases.acquire(user, connection, 3)))).toEqual([true, true, true]);
    expect(await leases.acquire(user, 'd', 3)).toBe(false);
    // Another user has a count of their own.
    expect(await leases.acquire(crypto.randomUUID(), 'a', 3)).toBe(true);
    await leases.release(user, 'b');
    expect(await leases.acquire(user, 'd', 3)).toBe(true);
  });

  it('lets the leases of connections nobody renews lapse, as when their node died, and keeps renewed ones', async () => {
    const user = crypto.randomUUID();
    expect(await leases.acquire(user, 'kept', 2)).toBe(true);
    expect(await leases.acquire(user, 'on-a-dead-node', 2)).toBe(true);
    expect(await leases.acquire(user, 'refused', 2)).toBe(false);
    for (let i = 0; i < 4; i++) {
      await pause(LEASE_MS / 3);
      await leases.renew([{ userId: user, connection: 'kept' }]);
    }
    // Well past the lease: the dead node's connection no longer counts, the renewed one still does.
    expect(await leases.acquire(user, 'after', 2)).toBe(true);
    expect(await leases.acquire(user, 'one-too-many', 2)).toBe(false);
  });

  it('does not bring back a released lease when renewing', async () => {
    const user = crypto.randomUUID();
    expect(await leases.acquire(user, 'gone', 1)).toBe(true);
    await leases.release(user, 'gone');
    await leases.renew([{ userId: user, connection: 'gone' }]);
    expect(await leases.acquire(user, 'new', 1)).toBe(true);
  });
});
