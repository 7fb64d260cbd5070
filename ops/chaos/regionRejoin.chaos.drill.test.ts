import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ScenarioRig } from './scenario.ts';
import { regionRejoin } from './scenarios/regionRejoin.ts';

const log = (line: string) => process.stdout.write(`[region-rejoin] ${line}\n`);

describe('restoring the lost primary region (region-rejoin)', () => {
  let rig: ScenarioRig;
  beforeAll(async () => {
    rig = await regionRejoin.setup(log);
  }, 240_000);
  afterAll(async () => {
    await rig?.close();
  }, 60_000);

  it('the old primary rejoins as a standby and catches up by itself while writers run, nothing acknowledged lost', async () => {
    const result = await rig.drill(1);
    log(`drill 1: ${JSON.stringify(result)}`);
    expect(result.violations).toEqual([]);
    expect(result.lostAcknowledged).toBe(0);
    expect(result.maxPrimaries).toBeLessThanOrEqual(1);
    expect(result.notes).toEqual(expect.objectContaining({ healToSecondaryMs: expect.any(Number), healToCaughtUpMs: expect.any(Number) }));
  }, 400_000);
});
