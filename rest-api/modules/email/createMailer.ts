import type { Knex } from 'knex';
import nodemailer from 'nodemailer';
import { AppError } from '@shared/errors.ts';
import type { Services } from '@shared/services.ts';

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

/** Delivers the product's emails; one per app, built by createMailer. */
export interface Mailer {
  /** `smtp` when SMTP_URL is set, `outbox` otherwise. */
  readonly mode: 'smtp' | 'outbox';
  /**
   * Sends the message, or stores it in `email_outbox`. Pass the caller's transaction as `db` so the
   * outbox row commits (or rolls back) with the change that caused the email.
   */
  send(message: EmailMessage, options?: { db?: Knex }): Promise<void>;
}

/** An SMTP server that does not answer must not hold a request (and its transaction) for minutes. */
const SMTP_TIMEOUT_MS = 10_000;

/** 502: the SMTP server refused or did not answer; nothing was changed, the client may retry. */
export class EmailDeliveryError extends AppError {
  constructor() {
    super(502, 'email_failed', 'The email could not be sent; try again later');
  }
}

/**
 * The app's one mailer. With SMTP_URL it sends through nodemailer and never logs links (they carry
 * tokens). Without it — the embedded default — it writes the email to `email_outbox` and logs its
 * link at info: on a laptop install the log *is* the delivery channel, so the operator can pass the
 * link on by hand.
 */
export function createMailer(services: Pick<Services, 'config' | 'db' | 'log'>): Mailer {
  const { config } = services;
  const log = services.log.child({ module: 'email' });
  if (!config.SMTP_URL) {
    return {
      mode: 'outbox',
      async send(message, options = {}) {
        const [row] = await (options.db ?? services.db)('email_outbox')
          .insert({ to: message.to, subject: message.subject, text: message.text, html: message.html ?? null })
          .returning('id');
        log.info({ outboxId: row?.id, to: message.to, subject: message.subject, link: message.link }, 'email stored in the outbox (no SMTP_URL)');
      },
    };
  }
  const transport = nodemailer.createTransport(
    { url: config.SMTP_URL, connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS },
    { from: config.EMAIL_FROM },
  );
  return {
    mode: 'smtp',
    async send(message) {
      try {
        const info = await transport.sendMail({ to: message.to, subject: message.subject, text: message.text, html: message.html });
        log.info({ messageId: info.messageId, subject: message.subject }, 'email sent');
      } catch (error) {
        log.error({ err: error, subject: message.subject }, 'email could not be sent');
        throw new EmailDeliveryError();
      }
    },
  };
}
