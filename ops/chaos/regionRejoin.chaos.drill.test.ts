import { describe, expect, it } from '@jest/globals';
import { runOneDrill } from './runOneDrill.ts';
import { regionRejoin } from './scenarios/regionRejoin.ts';

describe('chaos drill: restoring the lost primary region (region-rejoin)', () => {
  it('the old primary rejoins as a standby and catches up by itself while writers run, nothing acknowledged lost', async () => {
    const result = await runOneDrill(regionRejoin);
    expect(result.violations).toEqual([]);
    expect(result.lostAcknowledged).toBe(0);
    expect(result.maxPrimaries).toBeLessThanOrEqual(1);
    expect(result.notes).toEqual(expect.objectContaining({ healToSecondaryMs: expect.any(Number), healToCaughtUpMs: expect.any(Number) }));
  }, 640_000);
});
