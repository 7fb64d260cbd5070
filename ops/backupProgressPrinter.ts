import type { BackupProgress } from '@shared/backup/index.ts';
import { etaSeconds } from '../rest-api/modules/dr/backupProgress.ts';

const BAR_WIDTH = 24;
/** Plain lines (not a terminal) at most this often, besides one at each change of phase. */
const LINE_INTERVAL_MS = 2_000;

const mebibytes = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;

/** One progress report as text: phase, bytes, tables and the ETA when there is one. */
export function describeProgress(progress: BackupProgress, totalBytes: number | null): string {
  const eta = etaSeconds(progress, totalBytes);
  const tables = progress.tablesTotal > 0 ? `, tables ${progress.tablesDone}/${progress.tablesTotal}` : '';
  if (progress.percent !== undefined)
    return `${progress.phase}: ${progress.percent.toFixed(1)}%${tables}${eta === null ? '' : `, ETA ${eta}s`}`;
  return `${progress.phase}: ${mebibytes(progress.bytes)}${tables}${eta === null ? '' : `, ETA ${eta}s`}`;
}

/**
 * Shows progress: a bar redrawn in place when `out` is a terminal, plain lines otherwise (a log file, CI), so that
 * neither gets the other's noise.
 */
export function createProgressPrinter(out: NodeJS.WriteStream, totalBytes: number | null = null) {
  let lastPhase: string | undefined;
  let lastLineAt = 0;
  let isBarShown = false;
  return {
    update(progress: BackupProgress) {
      const text = describeProgress(progress, progress.phase === 'dumping' ? null : totalBytes);
      if (out.isTTY) {
        const share =
          progress.percent !== undefined
            ? progress.percent / 100
            : progress.phase === 'dumping' || !totalBytes
              ? progress.tablesTotal > 0
                ? progress.tablesDone / progress.tablesTotal
                : 0
              : progress.bytes / totalBytes;
        const filled = Math.round(Math.min(1, share) * BAR_WIDTH);
        out.write(`\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${text}`);
        isBarShown = true;
        return;
      }
      const now = Date.now();
      if (progress.phase === lastPhase && now - lastLineAt < LINE_INTERVAL_MS) return;
      lastPhase = progress.phase;
      lastLineAt = now;
      out.write(`${text}\n`);
    },
    /** Ends the bar's line, so what follows starts on its own. */
    end() {
      if (isBarShown) out.write('\n');
      isBarShown = false;
    },
  };
}
