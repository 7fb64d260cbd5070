import type { Knex } from 'knex';
import { hashOpaqueToken, type Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import { AppError, ConflictError, NotFoundError } from '@shared/errors.ts';
import type { WorkspaceForActor } from './findWorkspaceForActor.ts';
import { claimInvitation, findUsableInvitation } from './invitations.repo.ts';
import { findAccount } from '../auth/accounts.ts';
import { findMember, findWorkspace, insertMember } from './workspaces.repo.ts';

interface Props {
  /** The signed-in user accepting; their account's email must be the invited address. */
  actor: Actor;
  /** The token from the emailed link. */
  token: string;
}

/** Unknown, spent, expired and revoked tokens get this one answer, so none can be told apart. */
const invitationNotFound = () => new NotFoundError('Invitation not found');

/**
 * Joins the workspace with the invited role, spending the invitation. The claim is one conditional
 * update, so a token works once even when two acceptances race. A signed-in user with another email
 * gets 403 `email_mismatch` and the invitation stays open for the right person: the holder of the
 * token learns only that it is not theirs, never the address it was sent to.
 */
export async function acceptInvitation(db: Knex, props: Props): Promise<WorkspaceForActor> {
  return db.transaction(async (trx) => {
    const user = await findAccount(trx, props.actor.id);
    if (!user) throw invitationNotFound();
    const tokenHash = hashOpaqueToken(props.token);
    const invitation = await claimInvitation(trx, tokenHash, user);
    if (!invitation) {
      if (await findUsableInvitation(trx, tokenHash)) {
        throw new AppError(403, 'email_mismatch', 'This invitation was sent to another email address');
      }
      throw invitationNotFound();
    }
    if (await findMember(trx, invitation.workspace_id, user.id)) {
      throw new ConflictError('You are already a member of this workspace', 'already_member');
    }
    await insertMember(trx, { workspace_id: invitation.workspace_id, user_id: user.id, role: invitation.role });
    await writeAudit(trx, {
      actorId: user.id,
      action: 'invitation.accepted',
      subjectType: 'workspace',
      subjectId: invitation.workspace_id,
      data: { invitationId: invitation.id, role: invitation.role },
    });
    const workspace = await findWorkspace(trx, invitation.workspace_id);
    if (!workspace) throw invitationNotFound();
    return { ...workspace, role: invitation.role };
  });
}
