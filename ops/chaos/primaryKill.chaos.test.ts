import { describe, expect, it } from '@jest/globals';
import { runOneDrill } from './runOneDrill.ts';
import { primaryKill } from './scenarios/primaryKill.ts';

describe('chaos, short version: SIGKILL of the PostgreSQL primary under a REST writer and a collab typist', () => {
  it('resumes writes on the new primary, loses nothing acknowledged, never shows two primaries, and the old primary rejoins', async () => {
    const result = await runOneDrill(primaryKill);
    // Checked in the drill, each a violation when it fails: no 500, no message stored twice, the survivor
    // writable, a job run on it, /api/dr/status naming the failover, the old primary a synchronous standby again.
    expect(result.violations).toEqual([]);
    expect(result.lostAcknowledged).toBe(0);
    expect(result.maxPrimaries).toBeLessThanOrEqual(1);
    expect(result.operations.succeeded).toBeGreaterThan(0);
    expect(result.notes?.editsAcknowledged).toEqual(expect.any(Number));
    expect(result.notes?.editsAcknowledged).toBeGreaterThan(0);
    expect(result.promotionMs).toEqual(expect.any(Number));
    // A sanity bound only; the figure itself is printed (benchmarks, not timed assertions).
    expect(result.firstWriteMs).toBeLessThan(60_000);
  }, 300_000);
});
