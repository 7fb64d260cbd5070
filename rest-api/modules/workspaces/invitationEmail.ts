import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { WorkspaceRole } from '@shared/access/index.ts';
import type { Jobs } from '@shared/jobs/Jobs.ts';
import { escapeHtml } from '../email/escapeHtml.ts';
import type { EmailMessage, Mailer } from '../email/createMailer.ts';

/** What sending an invitation needs besides the database; built once per app. */
export interface InvitationDelivery {
  mailer: Mailer;
  /** Where the invited person's devices get their notification, when they already have an account. */
  jobs: Pick<Jobs, 'enqueue'>;
  /** Invitations (new and resent) per workspace per hour. */
  limiter: RateLimiterAbstract;
  /** APP_URL: where the web client's `/invite` page lives. */
  appUrl: string;
}

interface InvitationEmailProps {
  to: string;
  token: string;
  workspaceName: string;
  inviterName: string;
  role: WorkspaceRole;
  expiresAt: Date;
  appUrl: string;
}

/** The link the invitation email carries: the web client's accept page with the token. */
export function invitationLink(appUrl: string, token: string): string {
  return `${appUrl.replace(/\/+$/, '')}/invite?token=${encodeURIComponent(token)}`;
}

/** The invitation email, as text and HTML; every user-chosen string is escaped in the HTML. */
export function invitationEmail(props: InvitationEmailProps): EmailMessage {
  const link = invitationLink(props.appUrl, props.token);
  // User names may hold line breaks; the sentence they go into may not.
  const inviter = props.inviterName.replace(/\s+/g, ' ').trim();
  const expires = props.expiresAt.toUTCString();
  const text = [
    `${inviter} invited you to join the workspace "${props.workspaceName}" on TwinMCP as ${props.role}.`,
    '',
    `Accept the invitation: ${link}`,
    '',
    `The link works once, for the account with this email address, until ${expires}.`,
    'If you did not expect this invitation, ignore this email.',
  ].join('\n');
  const html = [
    `<p>${escapeHtml(inviter)} invited you to join the workspace <strong>${escapeHtml(props.workspaceName)}</strong>`,
    ` on TwinMCP as ${escapeHtml(props.role)}.</p>`,
    `<p><a href="${escapeHtml(link)}">Accept the invitation</a></p>`,
    `<p>The link works once, for the account with this email address, until ${escapeHtml(expires)}.`,
    ' If you did not expect this invitation, ignore this email.</p>',
  ].join('');
  return { to: props.to, subject: `Join ${props.workspaceName} on TwinMCP`, text, html, link };
}
