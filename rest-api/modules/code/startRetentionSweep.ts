import type { Services } from '@shared/services.ts';
import { purgeExpiredExecutions } from './code.repo.ts';

/** How often each API process clears expired code and output; reads hide them in between (execution.presenter.ts). */
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/** Clears runs' code and output past CODE_EXEC_RETENTION_DAYS every hour, until the services close. */
export function startRetentionSweep(services: Services): void {
  const { db, config, log } = services;
  const sweep = () =>
    purgeExpiredExecutions(db, config.CODE_EXEC_RETENTION_DAYS).then(
      (cleared) => cleared > 0 && log.info({ cleared }, 'code executions past retention cleared'),
      (error: unknown) => log.warn({ err: error }, 'clearing expired code executions failed'),
    );
  const timer = setInterval(() => void sweep(), SWEEP_INTERVAL_MS);
  timer.unref();
  services.beforeClose(async () => clearInterval(timer));
}
