import type { Knex } from 'knex';
import type { Services } from '@shared/services.ts';
import { EMAIL_SEND } from './emailSendQueue.ts';

/** An email as the product composes it. */
export interface EmailMessage {
  /** Recipient address. */
  to: string;
  subject: string;
  /** Plain-text body; every email has one. */
  text: string;
  /** HTML body; anything user-chosen in it must already be escaped. */
  html?: string;
  /** The link the recipient is asked to follow; logged only when there is no SMTP server (see createMailer). */
  link?: string;
}

/**
 * Where an email stands (`email_outbox.status`): `held` waits in the outbox for an SMTP server to be
 * configured, `queued` has an email.send job, `sent` went out, `failed` gave up after every retry.
 */
export type EmailStatus = 'held' | 'queued' | 'sent' | 'failed';

/** Delivers the product's emails; one per app, built by createMailer. */
export interface Mailer {
  /** `smtp` when SMTP_URL is set, `outbox` otherwise. */
  readonly mode: 'smtp' | 'outbox';
  /**
   * Stores the message in `email_outbox` and, with an SMTP server, queues the job that sends it. Pass
   * the caller's transaction as `db`: the email is then sent if and only if the change that caused
   * it commits, and no SMTP exchange ever holds the transaction (or its locks) open.
   */
  send(message: EmailMessage, options?: { db?: Knex }): Promise<{ id: string; status: EmailStatus }>;
}

/**
 * The app's one mailer. With SMTP_URL, every email becomes an email.send job (emailSendQueue.ts), and
 * links are never logged (they carry tokens). Without it — the embedded default — the email is held
 * in `email_outbox` and its link logged at info: on a laptop install the log *is* the delivery
 * channel, so the operator can pass the link on by hand. Held emails are sent once a process starts
 * with SMTP_URL (drainEmailOutbox.ts).
 */
export function createMailer(services: Pick<Services, 'config' | 'db' | 'log' | 'jobs'>): Mailer {
  const isSmtp = services.config.SMTP_URL !== undefined;
  const log = services.log.child({ module: 'email' });
  return {
    mode: isSmtp ? 'smtp' : 'outbox',
    async send(message, options = {}) {
      const db = options.db ?? services.db;
      const status: EmailStatus = isSmtp ? 'queued' : 'held';
      const [row] = await db('email_outbox')
        .insert({ to: message.to, subject: message.subject, text: message.text, html: message.html ?? null, status })
        .returning<Array<{ id: string }>>('id');
      const id = row!.id;
      if (isSmtp) {
        // The same transaction as the outbox row (jobs on PGlite must be given it; see shared/jobs).
        await services.jobs.enqueue(EMAIL_SEND, { outboxId: id }, db.isTransaction ? { trx: db as Knex.Transaction } : {});
        log.debug({ outboxId: id, subject: message.subject }, 'email queued');
      } else {
        log.info(
          { outboxId: id, to: message.to, subject: message.subject, link: message.link },
          'email stored in the outbox (no SMTP_URL)',
        );
      }
      return { id, status };
    },
  };
}
