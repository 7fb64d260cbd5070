import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import { NotFoundError } from '@shared/errors.ts';
import { invitationEmail, type InvitationDelivery } from './invitationEmail.ts';
import type { InvitationRow } from './invitations.repo.ts';
import { findAccount, findAccountByEmail } from '../auth/accounts.ts';
import { queueUserPushes } from '../devices/queueUserPushes.ts';

interface Props {
  actor: Actor;
  workspace: { id: string; name: string };
  invitation: InvitationRow;
  /** The token whose hash the invitation row holds; it exists only in this email. */
  token: string;
  action: 'invitation.created' | 'invitation.resent';
}

/**
 * Writes the invitation's audit row and hands its email to the mailer, inside the caller's
 * transaction: the email is queued (or held in the outbox) exactly when the invitation commits, and
 * sent after, by a job. Returns the invitation with its email and that email's status.
 */
export async function deliverInvitation(trx: Knex.Transaction, delivery: InvitationDelivery, props: Props): Promise<InvitationRow> {
  const { actor, workspace, invitation } = props;
  await writeAudit(trx, {
    actorId: actor.id,
    action: props.action,
    subjectType: 'workspace',
    subjectId: workspace.id,
    data: { invitationId: invitation.id, email: invitation.email, role: invitation.role },
  });
  const sender = await findAccount(trx, actor.id);
  if (!sender) throw new NotFoundError('User not found');
  const email = await delivery.mailer.send(
    invitationEmail({
      to: invitation.email,
      token: props.token,
      workspaceName: workspace.name,
      inviterName: sender.name,
      role: invitation.role,
      expiresAt: invitation.expires_at,
      appUrl: delivery.appUrl,
    }),
    { db: trx },
  );
  await trx('workspace_invitations').where({ id: invitation.id }).update({ email_outbox_id: email.id });
  // Someone who already has an account hears of it on their devices too. The link to accept stays in
  // the email alone: its token proves the mailbox, and a push passes through the push service.
  const invitee = await findAccountByEmail(trx, invitation.email);
  if (invitee) {
    await queueUserPushes(trx, delivery.jobs, [invitee.id], {
      type: 'invitation',
      title: `Invitation to ${workspace.name}`,
      body: `${sender.name} invited you to join as ${invitation.role}. Accept with the link in the email sent to ${invitation.email}.`,
      url: '/',
    });
  }
  return { ...invitation, email_outbox_id: email.id, email_status: email.status };
}
