import type { Knex } from 'knex';
import type { WorkspaceRole } from '@shared/access/index.ts';
import { generateOpaqueToken, hashOpaqueToken, type Actor } from '@shared/auth.ts';
import { ConflictError } from '@shared/errors.ts';
import { consumeOrThrow } from '@shared/rateLimit.ts';
import { findWorkspaceForActor } from './findWorkspaceForActor.ts';
import { deliverInvitation } from './deliverInvitation.ts';
import type { InvitationDelivery } from './invitationEmail.ts';
import { upsertInvitation, type InvitationRow } from './invitations.repo.ts';
import { isEmailMember } from './workspaces.repo.ts';

interface Props {
  /** Must be an admin of the workspace. */
  actor: Actor;
  workspaceId: string;
  /** Where the invitation goes; whoever accepts must have an account with this address (any case). */
  email: string;
  /** The role the invitee gets on accepting. */
  role: WorkspaceRole;
}

/**
 * Invites someone by email. Inviting an address that already has an open invitation renews it (new
 * token, role and 7-day expiry; the old link stops working). The email is queued inside the
 * transaction and sent by a job after it commits: no SMTP exchange holds the workspace lock, and an
 * SMTP server that refuses is retried rather than failing the invitation (its `emailStatus` says so).
 */
export async function inviteMember(db: Knex, delivery: InvitationDelivery, props: Props): Promise<InvitationRow> {
  return db.transaction(async (trx) => {
    const workspace = await findWorkspaceForActor(trx, props.actor, props.workspaceId, 'invite', { lock: 'keyShare' });
    if (await isEmailMember(trx, workspace.id, props.email)) {
      throw new ConflictError('Someone with this email is already a member', 'already_member');
    }
    await consumeOrThrow(delivery.limiter, workspace.id);
    const token = generateOpaqueToken();
    const { invitation, inserted } = await upsertInvitation(trx, {
      workspace_id: workspace.id,
      email: props.email,
      role: props.role,
      token_hash: hashOpaqueToken(token),
      invited_by: props.actor.id,
    });
    return deliverInvitation(trx, delivery, {
      actor: props.actor,
      workspace,
      invitation,
      token,
      action: inserted ? 'invitation.created' : 'invitation.resent',
    });
  });
}
