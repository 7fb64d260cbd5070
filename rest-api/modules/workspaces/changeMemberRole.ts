import type { Knex } from 'knex';
import type { WorkspaceRole } from '@shared/access/index.ts';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { NotFoundError } from '@shared/errors.ts';
import { assertMayGiveUpAdmin } from './assertMayGiveUpAdmin.ts';
import { findWorkspaceForActor } from './findWorkspaceForActor.ts';
import { findMember, findMemberWithUser, updateMemberRole, type MemberWithUser } from './workspaces.repo.ts';

interface Props {
  /** Must be an admin of the workspace. */
  actor: Actor;
  workspaceId: string;
  /** The member whose role changes. */
  userId: string;
  role: WorkspaceRole;
}

/**
 * Changes a member's role; once committed, collab nodes re-check that member's open connections.
 * Setting the role a member already has changes, records and announces nothing.
 */
export async function changeMemberRole(db: Knex, bus: Bus, props: Props): Promise<MemberWithUser> {
  const { member, changed } = await db.transaction(async (trx) => {
    const workspace = await findWorkspaceForActor(trx, props.actor, props.workspaceId, 'manageMembers', { lock: 'update' });
    const current = await findMember(trx, workspace.id, props.userId);
    if (!current) throw new NotFoundError('Member not found');
    const changed = current.role !== props.role;
    if (changed) {
      if (props.role !== 'admin') await assertMayGiveUpAdmin(trx, workspace, current);
      await updateMemberRole(trx, workspace.id, props.userId, props.role);
      await writeAudit(trx, {
        actorId: props.actor.id,
        action: 'member.role_changed',
        subjectType: 'workspace',
        subjectId: workspace.id,
        data: { userId: props.userId, from: current.role, to: props.role },
      });
    }
    return { member: (await findMemberWithUser(trx, workspace.id, props.userId))!, changed };
  });
  if (changed) await bus.publish('member.role_changed', { workspaceId: props.workspaceId, userId: props.userId, role: member.role });
  return member;
}
