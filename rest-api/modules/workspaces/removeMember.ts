import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { NotFoundError } from '@shared/errors.ts';
import { assertMayGiveUpAdmin } from './assertMayGiveUpAdmin.ts';
import { findWorkspaceForActor } from './findWorkspaceForActor.ts';
import { deleteMember, findMember } from './workspaces.repo.ts';

interface Props {
  /** An admin removing someone, or any member removing themselves (leaving). */
  actor: Actor;
  workspaceId: string;
  /** The member to remove. */
  userId: string;
}

/**
 * Removes a member, or lets a member leave. They lose access to the workspace's conversations at
 * once, even those they created; once committed, collab nodes close their open connections.
 */
export async function removeMember(db: Knex, bus: Bus, props: Props): Promise<void> {
  const isLeaving = props.userId === props.actor.id;
  await db.transaction(async (trx) => {
    const action = isLeaving ? 'read' : 'manageMembers';
    const workspace = await findWorkspaceForActor(trx, props.actor, props.workspaceId, action, { lock: 'update' });
    const member = await findMember(trx, workspace.id, props.userId);
    if (!member) throw new NotFoundError('Member not found');
    await assertMayGiveUpAdmin(trx, workspace, member);
    await deleteMember(trx, workspace.id, props.userId);
    await writeAudit(trx, {
      actorId: props.actor.id,
      action: isLeaving ? 'member.left' : 'member.removed',
      subjectType: 'workspace',
      subjectId: workspace.id,
      data: { userId: props.userId, role: member.role },
    });
  });
  await bus.publish('member.removed', { workspaceId: props.workspaceId, userId: props.userId });
}
