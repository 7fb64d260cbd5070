import type { BackupProgress } from '@shared/backup/index.ts';

/**
 * Writes progress reports one after another, never two at once and never more than the latest waiting: the engine
 * reports every ~250 ms, and a slow database must not queue them up. `flush` waits for the last one.
 */
export function serialProgressWriter(write: (progress: BackupProgress) => Promise<void>, onError: (error: unknown) => void) {
  let running: Promise<void> = Promise.resolve();
  let waiting: BackupProgress | undefined;
  const drain = async () => {
    while (waiting) {
      const next = waiting;
      waiting = undefined;
      await write(next).catch(onError);
    }
  };
  return {
    report(progress: BackupProgress) {
      const isIdle = waiting === undefined;
      waiting = progress;
      if (isIdle) running = running.then(drain);
    },
    flush: () => running,
  };
}

/** Seconds left, from the share done so far; null until there is a share to go by. */
export function etaSeconds(progress: BackupProgress, totalBytes: number | null): number | null {
  const share =
    progress.percent !== undefined
      ? progress.percent / 100
      : progress.phase === 'dumping' || totalBytes === null || totalBytes === 0
        ? progress.tablesTotal > 0
          ? progress.tablesDone / progress.tablesTotal
          : 0
        : progress.bytes / totalBytes;
  if (share <= 0 || share > 1) return null;
  return Math.max(0, Math.round((progress.elapsedMs * (1 - share)) / share / 1000));
}
