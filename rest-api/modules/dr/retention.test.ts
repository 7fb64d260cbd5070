import { describe, expect, it } from '@jest/globals';
import { backupsToKeep, parseRetention } from './retention.ts';

const backupsAt = (...isoTimes: string[]) => isoTimes.map((iso, index) => ({ id: `b${index}`, startedAt: new Date(iso) }));

describe('backup retention', () => {
  const now = new Date('2026-11-30T12:00:00Z');

  it('keeps the newest backup of each of the last N days, and only that one of a day', () => {
    const backups = backupsAt('2026-11-30T10:00:00Z', '2026-11-30T03:00:00Z', '2026-11-29T03:00:00Z', '2026-11-27T03:00:00Z');
    expect([...backupsToKeep(backups, parseRetention('2d'), now)].sort()).toEqual(['b0', 'b2']);
  });

  it('keeps weekly and monthly backups beside the daily ones (7d,4w,12m)', () => {
    const backups = backupsAt(
      '2026-11-30T03:00:00Z', // Monday: today
      '2026-11-29T03:00:00Z', // Sunday: last week's newest
      '2026-11-28T03:00:00Z',
      '2026-11-15T03:00:00Z', // Sunday two weeks back
      '2026-10-20T03:00:00Z', // October's newest
      '2026-10-01T03:00:00Z',
      '2024-01-01T03:00:00Z', // older than 12 months
    );
    const kept = backupsToKeep(backups, parseRetention('7d,4w,12m'), now);
    expect([...kept].sort()).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
  });

  it('always keeps the newest verified backup, however old', () => {
    const backups = backupsAt('2020-01-01T00:00:00Z', '2019-01-01T00:00:00Z');
    expect([...backupsToKeep(backups, parseRetention('1d'), now)]).toEqual(['b0']);
  });

  it('keeps the newest N backups with the b unit', () => {
    const backups = backupsAt('2026-11-30T10:00:00Z', '2026-11-30T09:00:00Z', '2026-11-30T08:00:00Z');
    expect([...backupsToKeep(backups, parseRetention('2b'), now)].sort()).toEqual(['b0', 'b1']);
  });
});
