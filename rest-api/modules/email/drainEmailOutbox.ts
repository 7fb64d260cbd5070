import type { Services } from '@shared/services.ts';
import { EMAIL_SEND } from './emailSendQueue.ts';

/** Held emails queued per transaction. */
const BATCH = 100;

/**
 * Queues every email held in the outbox while no SMTP server was configured, oldest first, when a
 * process starts with SMTP_URL. Each batch is claimed with SKIP LOCKED and queued in one transaction
 * with its status change, so processes starting together never queue one email twice.
 * Returns how many it queued.
 */
export async function drainEmailOutbox(services: Pick<Services, 'db' | 'jobs' | 'log'>): Promise<number> {
  const { db, jobs } = services;
  let queued = 0;
  for (;;) {
    const count = await db.transaction(async (trx) => {
      const ids = await trx('email_outbox')
        .where({ status: 'held' })
        .orderBy('created_at')
        .limit(BATCH)
        .forUpdate()
        .skipLocked()
        .pluck<string[]>('id');
      for (const outboxId of ids) await jobs.enqueue(EMAIL_SEND, { outboxId }, { trx });
      if (ids.length > 0) await trx('email_outbox').whereIn('id', ids).update({ status: 'queued' });
      return ids.length;
    });
    queued += count;
    if (count < BATCH) break;
  }
  if (queued > 0) services.log.info({ module: 'email', count: queued }, 'held outbox emails queued for sending');
  return queued;
}
