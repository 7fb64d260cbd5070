import type { Knex } from 'knex';
import { generateOpaqueToken, hashOpaqueToken, type Actor } from '@shared/auth.ts';
import { NotFoundError } from '@shared/errors.ts';
import { consumeOrThrow } from '@shared/rateLimit.ts';
import { findWorkspaceForActor } from './findWorkspaceForActor.ts';
import { deliverInvitation } from './deliverInvitation.ts';
import type { InvitationDelivery } from './invitationEmail.ts';
import { renewInvitationToken, type InvitationRow } from './invitations.repo.ts';

interface Props {
  /** Must be an admin of the workspace. */
  actor: Actor;
  workspaceId: string;
  /** An open (not accepted, not revoked) invitation of the workspace, expired or not. */
  invitationId: string;
}

/** Sends an invitation again with a new token and a new 7-day expiry; the previous link stops working. */
export async function resendInvitation(db: Knex, delivery: InvitationDelivery, props: Props): Promise<InvitationRow> {
  return db.transaction(async (trx) => {
    const workspace = await findWorkspaceForActor(trx, props.actor, props.workspaceId, 'invite', { lock: 'keyShare' });
    const token = generateOpaqueToken();
    const invitation = await renewInvitationToken(trx, workspace.id, props.invitationId, hashOpaqueToken(token));
    if (!invitation) throw new NotFoundError('Invitation not found');
    await consumeOrThrow(delivery.limiter, workspace.id);
    return deliverInvitation(trx, delivery, { actor: props.actor, workspace, invitation, token, action: 'invitation.resent' });
  });
}
