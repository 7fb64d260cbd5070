import nodemailer from 'nodemailer';
import { z } from 'zod';
import { defineQueue, type QueueRef } from '@shared/jobs/defineQueue.ts';
import type { Services } from '@shared/services.ts';

/** The email.send queue, as code that enqueues sees it: one job per `email_outbox` row. */
export const EMAIL_SEND = {
  name: 'email.send',
  payload: z.object({ outboxId: z.uuid() }),
} satisfies QueueRef;

/** An SMTP server that does not answer must not hold a job for minutes: each step gets this long. */
const SMTP_TIMEOUT_MS = 10_000;

interface OutboxRow {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  status: 'held' | 'queued' | 'sent' | 'failed';
}

/**
 * Sends an outbox email through SMTP_URL, outside any request: a slow or refusing SMTP server costs
 * retries, not a request holding a transaction. Retried with backoff (3 s doubling, at most 10 minutes
 * apart, 8 retries: about a quarter of an hour of trying); after the last the row is `failed`.
 * At least once: a process that dies between the SMTP server's acceptance and the row's `sent`
 * sends the email again when the job is retried.
 */
export function createEmailSendQueue(services: Pick<Services, 'config' | 'db'>) {
  const { config, db } = services;
  const transport = nodemailer.createTransport(
    { url: config.SMTP_URL, connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS },
    { from: config.EMAIL_FROM },
  );
  return defineQueue({
    ...EMAIL_SEND,
    // Three SMTP timeouts and then some: past this the job is taken for dead and sent again.
    expireInSeconds: 120,
    retryLimit: 8,
    retryDelaySeconds: 3,
    retryDelayMaxSeconds: 600,
    async handler({ outboxId }, { log, attempt, isLastAttempt }) {
      const email = await db<OutboxRow>('email_outbox').where({ id: outboxId }).first();
      // Sent by an earlier attempt that died before the job completed: nothing left to do.
      if (!email || email.status === 'sent') return { skipped: email ? 'already sent' : 'no such email' };
      try {
        const info = await transport.sendMail({ to: email.to, subject: email.subject, text: email.text, html: email.html ?? undefined });
        await db('email_outbox')
          .where({ id: outboxId })
          .update({ status: 'sent', sent_at: db.fn.now(), attempts: attempt + 1, last_error: null });
        log.info({ outboxId, messageId: info.messageId, subject: email.subject }, 'email sent');
        return { messageId: info.messageId };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await db('email_outbox')
          .where({ id: outboxId })
          .update({ status: isLastAttempt ? 'failed' : 'queued', attempts: attempt + 1, last_error: message });
        throw error;
      }
    },
  });
}
