/** One rule of BACKUP_RETENTION: keep the newest backup of each of the last `count` periods, or (`b`) the newest `count`. */
export interface RetentionRule {
  unit: 'h' | 'd' | 'w' | 'm' | 'y' | 'b';
  count: number;
}

/** `7d,4w,12m` → rules (the config has checked the shape). */
export function parseRetention(text: string): RetentionRule[] {
  return text.split(',').map((part) => ({ unit: part.at(-1) as RetentionRule['unit'], count: Number(part.slice(0, -1)) }));
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The number of the period (UTC) `at` falls in; consecutive periods have consecutive numbers. Weeks start on Monday. */
function periodOf(unit: Exclude<RetentionRule['unit'], 'b'>, at: Date): number {
  const ms = at.getTime();
  switch (unit) {
    case 'h':
      return Math.floor(ms / HOUR);
    case 'd':
      return Math.floor(ms / DAY);
    case 'w':
      // 1970-01-01 was a Thursday: shifting by 3 days makes each period start on a Monday.
      return Math.floor((ms / DAY + 3) / 7);
    case 'm':
      return at.getUTCFullYear() * 12 + at.getUTCMonth();
    case 'y':
      return at.getUTCFullYear();
  }
}

/**
 * The backups `rules` keep, out of verified backups given newest first. Each rule keeps the newest backup of each of
 * its periods that are among the last `count` (the current one included); the newest backup is always kept.
 */
export function backupsToKeep<B extends { id: string; startedAt: Date }>(backups: B[], rules: RetentionRule[], now: Date): Set<string> {
  const kept = new Set<string>();
  if (backups[0]) kept.add(backups[0].id);
  for (const rule of rules) {
    if (rule.unit === 'b') {
      for (const backup of backups.slice(0, rule.count)) kept.add(backup.id);
      continue;
    }
    const current = periodOf(rule.unit, now);
    const seen = new Set<number>();
    for (const backup of backups) {
      const period = periodOf(rule.unit, backup.startedAt);
      if (current - period >= rule.count || seen.has(period)) continue;
      seen.add(period);
      kept.add(backup.id);
    }
  }
  return kept;
}
