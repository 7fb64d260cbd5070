import { describe, expect, it } from '@jest/globals';
import { runOneDrill } from './runOneDrill.ts';
import { regionKill } from './scenarios/regionKill.ts';

describe('chaos, short version: losing the primary region whole (region-kill)', () => {
  it('writes resume through the surviving regions, nothing acknowledged is lost, never two primaries, and the region rejoins', async () => {
    const result = await runOneDrill(regionKill);
    expect(result.violations).toEqual([]);
    expect(result.lostAcknowledged).toBe(0);
    expect(result.maxPrimaries).toBeLessThanOrEqual(1);
    expect(result.acknowledged).toBeGreaterThan(0);
    expect(result.promotionMs).toEqual(expect.any(Number));
    expect(result.notes?.restoreToWholeMs).toEqual(expect.any(Number));
    // A sanity bound only; the figure itself is printed (benchmarks, not timed assertions).
    expect(result.firstWriteMs).toBeLessThan(60_000);
  }, 540_000);
});
