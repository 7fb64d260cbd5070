import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ScenarioRig } from './scenario.ts';
import { regionKill } from './scenarios/regionKill.ts';

const log = (line: string) => process.stdout.write(`[region-kill] ${line}\n`);

describe('losing the primary region whole (region-kill)', () => {
  let rig: ScenarioRig;
  beforeAll(async () => {
    rig = await regionKill.setup(log);
  }, 240_000);
  afterAll(async () => {
    await rig?.close();
  }, 60_000);

  it('writes resume through the surviving regions, nothing acknowledged is lost, never two primaries, and the region rejoins', async () => {
    const result = await rig.drill(1);
    log(`drill 1: ${JSON.stringify(result)}`);
    expect(result.violations).toEqual([]);
    expect(result.lostAcknowledged).toBe(0);
    expect(result.maxPrimaries).toBeLessThanOrEqual(1);
    expect(result.acknowledged).toBeGreaterThan(0);
    expect(result.promotionMs).toEqual(expect.any(Number));
    // A sanity bound only; the figure itself is printed (benchmarks, not timed assertions).
    expect(result.firstWriteMs).toBeLessThan(60_000);
  }, 300_000);
});
