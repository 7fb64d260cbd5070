import { describe, expect, it } from '@jest/globals';
import { runOneDrill } from './runOneDrill.ts';
import { collabNodeKill } from './scenarios/collabNodeKill.ts';

describe('chaos, short version: SIGKILL of a collab node while clients on two nodes edit one document', () => {
  it('moves the dead node’s clients to the other node and loses no acknowledged edit of either', async () => {
    const result = await runOneDrill(collabNodeKill);
    expect(result.violations).toEqual([]);
    expect(result.lostAcknowledged).toBe(0);
    expect(result.maxPrimaries).toBeLessThanOrEqual(1);
    expect(result.operations.succeeded).toBeGreaterThan(0);
    // The dead node had acknowledged edits before it died, and its clients reconnected elsewhere.
    expect(result.notes?.acknowledgedByDeadNodeBeforeKill).toBeGreaterThan(0);
    expect(result.notes?.reconnects).toBeGreaterThan(0);
    // A sanity bound only; the figure itself is printed.
    expect(result.firstWriteMs).toBeLessThan(60_000);
  }, 120_000);
});
