import { describe, expect, it } from '@jest/globals';
import { runOneDrill } from './runOneDrill.ts';
import { regionPartition } from './scenarios/regionPartition.ts';

describe('chaos drill: cutting the primary region off, processes alive (region-partition)', () => {
  it('fences the old primary before promoting the new one, accepts no write on both sides, and takes it back after the heal', async () => {
    const result = await runOneDrill(regionPartition);
    expect(result.violations).toEqual([]);
    expect(result.lostAcknowledged).toBe(0);
    expect(result.maxPrimaries).toBeLessThanOrEqual(1);
    expect(result.acknowledged).toBeGreaterThan(0);
    // The order, not the durations: the cut-off side's last acknowledged write and the old primary's last
    // writable answer both come before the monitor promotes the new primary.
    expect(result.promotionMs).toEqual(expect.any(Number));
    expect(result.notes?.insideLastAckMs).toBeLessThan(result.promotionMs!);
    expect(result.notes?.oldPrimaryFencedMs).toBeLessThan(result.promotionMs!);
    expect(result.notes?.fencedBeforePromotion).toBe(true);
  }, 540_000);
});
