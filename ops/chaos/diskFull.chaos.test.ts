import { describe, expect, it } from '@jest/globals';
import { runOneDrill } from './runOneDrill.ts';
import { diskFull } from './scenarios/diskFull.ts';

describe('chaos, short version: the backup target’s file system fills up during a backup', () => {
  it('fails the backup cleanly, keeps serving the writer, and backs up again once space is freed', async () => {
    const result = await runOneDrill(diskFull);
    // Checked in the drill, each a violation when it fails: the backup `failed` naming the full disk, no file
    // left behind, no 500 to the writer, nothing stored twice, a verified backup after the space was freed.
    expect(result.violations).toEqual([]);
    expect(result.lostAcknowledged).toBe(0);
    expect(result.operations.succeeded).toBeGreaterThan(0);
    expect(result.operations.succeeded).toBe(result.operations.attempted);
    expect(result.notes?.failedBackupError).toMatch(/ENOSPC|no space/i);
  }, 120_000);
});
