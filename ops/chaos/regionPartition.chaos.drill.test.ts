import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ScenarioRig } from './scenario.ts';
import { regionPartition } from './scenarios/regionPartition.ts';

const log = (line: string) => process.stdout.write(`[region-partition] ${line}\n`);

describe("cutting the primary's region off with its processes alive (region-partition)", () => {
  let rig: ScenarioRig;
  beforeAll(async () => {
    rig = await regionPartition.setup(log);
  }, 240_000);
  afterAll(async () => {
    await rig?.close();
  }, 60_000);

  it('fences the old primary before promoting the new one, accepts no write on both sides, and takes it back after the heal', async () => {
    const result = await rig.drill(1);
    log(`drill 1: ${JSON.stringify(result)}`);
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
  }, 300_000);
});
