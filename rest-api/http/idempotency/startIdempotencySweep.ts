import type { Services } from '@shared/services.ts';
import { deleteExpiredKeys } from './idempotencyKeys.repo.ts';

/** How often each API process deletes Idempotency-Key answers past their 24 hours; claims ignore them meanwhile. */
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/** Deletes expired Idempotency-Key answers every hour, until the services close. */
export function startIdempotencySweep(services: Pick<Services, 'db' | 'log' | 'beforeClose'>): void {
  const { db, log } = services;
  const sweep = () =>
    deleteExpiredKeys(db).then(
      (deleted) => deleted > 0 && log.info({ deleted }, 'expired idempotency keys deleted'),
      (error: unknown) => log.warn({ err: error }, 'deleting expired idempotency keys failed'),
    );
  const timer = setInterval(() => void sweep(), SWEEP_INTERVAL_MS);
  timer.unref();
  services.beforeClose(async () => clearInterval(timer));
}
