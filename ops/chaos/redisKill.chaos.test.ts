import { describe, expect, it } from '@jest/globals';
import { runOneDrill } from './runOneDrill.ts';
import { redisKill } from './scenarios/redisKill.ts';

describe('chaos, short version: SIGKILL of the Redis two collab nodes relay through', () => {
  it('keeps each node acknowledging its own clients, brings the two sides together when Redis is back, loses nothing', async () => {
    const result = await runOneDrill(redisKill);
    expect(result.violations).toEqual([]);
    expect(result.lostAcknowledged).toBe(0);
    expect(result.maxPrimaries).toBeLessThanOrEqual(1);
    expect(result.operations.succeeded).toBeGreaterThan(0);
    expect(result.notes?.editsAcknowledgedWithoutRedis).toBeGreaterThan(0);
    expect(result.notes?.crossNodeResumedMs).toEqual(expect.any(Number));
  }, 120_000);
});
