import type { Services } from '@shared/services.ts';
import { drainEmailOutbox } from './drainEmailOutbox.ts';
import { createEmailSendQueue } from './emailSendQueue.ts';

/**
 * With SMTP_URL: the email.send queue, and at start the outbox's held emails handed to it. Without
 * it nothing: emails wait in the outbox, and email.send jobs queued by another process stay queued
 * until a process with an SMTP server runs them.
 */
export function registerEmailJobs(services: Pick<Services, 'config' | 'db' | 'jobs' | 'log'>): void {
  if (!services.config.SMTP_URL) return;
  services.jobs.define(createEmailSendQueue(services));
  services.jobs.onStarted('drain the email outbox', async () => {
    await drainEmailOutbox(services);
  });
}
