import { listOperators } from '@shared/operators.ts';
import type { Services } from '@shared/services.ts';
import type { BusEvents } from '@shared/bus.ts';
import { createMailer } from '../email/createMailer.ts';

/**
 * Pages every operator by email about a backup that failed verification. Sent by the job that verified it, once,
 * not by a bus listener on every node. Without SMTP_URL the emails wait in the outbox (and are logged).
 */
export function createVerificationFailureEmailer(services: Pick<Services, 'config' | 'db' | 'log' | 'jobs'>) {
  const mailer = createMailer(services);
  return async (failure: BusEvents['backup.verification_failed']): Promise<void> => {
    const text =
      `Backup ${failure.backupId} failed its verification (${failure.code}): ${failure.reason}\n\n` +
      'It will not be offered as a restore point. Check GET /api/dr/backups and make a new backup (npm run backup).';
    for (const operator of await listOperators(services.db)) {
      await mailer.send({ to: operator.email, subject: 'A backup failed its verification', text });
    }
  };
}
