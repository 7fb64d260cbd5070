import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import { NotFoundError } from '@shared/errors.ts';
import { findWorkspaceForActor } from './findWorkspaceForActor.ts';
import { revokeInvitationRow } from './invitations.repo.ts';

interface Props {
  /** Must be an admin of the workspace. */
  actor: Actor;
  workspaceId: string;
  /** An open invitation of the workspace; accepted or already revoked ones are a 404. */
  invitationId: string;
}

/** Revokes an invitation: its link stops working at once. */
export async function revokeInvitation(db: Knex, props: Props): Promise<void> {
  await db.transaction(async (trx) => {
    const workspace = await findWorkspaceForActor(trx, props.actor, props.workspaceId, 'invite');
    const invitation = await revokeInvitationRow(trx, workspace.id, props.invitationId);
    if (!invitation) throw new NotFoundError('Invitation not found');
    await writeAudit(trx, {
      actorId: props.actor.id,
      action: 'invitation.revoked',
      subjectType: 'workspace',
      subjectId: workspace.id,
      data: { invitationId: invitation.id, email: invitation.email },
    });
  });
}
