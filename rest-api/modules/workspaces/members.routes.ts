import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { dataOf, pageOf } from '../../http/schemas.ts';
import { changeMemberRole } from './changeMemberRole.ts';
import { findWorkspaceForActor } from './findWorkspaceForActor.ts';
import { presentPage } from '../../http/pagination.ts';
import { removeMember } from './removeMember.ts';
import { transferOwnership } from './transferOwnership.ts';
import { presentMember, presentWorkspace } from './workspace.presenter.ts';
import { listMembers } from './workspaces.repo.ts';
import {
  ChangeMemberRoleSchema,
  ListMembersSchema,
  MemberIdSchema,
  MemberSchema,
  TransferOwnershipSchema,
  WorkspaceSchema,
} from './workspaces.schemas.ts';

const tag = 'workspace members';

/** Who belongs to a workspace, in which role, and who owns it. */
export function memberRoutes(api: ApiRouter, { db, bus }: Services): void {
  api.route(
    {
      method: 'get',
      path: '/api/workspace/:id/members',
      tag,
      summary: 'List members, by email (any member)',
      request: ListMembersSchema,
      errors: [404],
      responses: { 200: { description: 'A page', schema: pageOf(MemberSchema) } },
    },
    async (req, res) => {
      const { params, query } = req.input;
      const workspace = await findWorkspaceForActor(db, req.actor, params.id, 'read');
      const rows = await listMembers(db, workspace.id, { limit: query.limit, after: query.cursor?.[0] });
      res.json(presentPage(rows, query.limit, (row) => [row.email.toLowerCase()], presentMember));
    },
  );

  api.route(
    {
      method: 'patch',
      path: '/api/workspace/:id/members/:userId',
      tag,
      summary: 'Change a member’s role (admins)',
      request: ChangeMemberRoleSchema,
      errors: [403, 404, 409],
      responses: { 200: { description: 'The member with the new role', schema: dataOf(MemberSchema) } },
    },
    async (req, res) => {
      const { id, userId } = req.input.params;
      const member = await changeMemberRole(db, bus, { actor: req.actor, workspaceId: id, userId, role: req.input.body.role });
      res.json({ data: presentMember(member) });
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/api/workspace/:id/members/:userId',
      tag,
      summary: 'Remove a member (admins), or leave (any member, with your own id)',
      request: MemberIdSchema,
      errors: [403, 404, 409],
      responses: { 204: { description: 'Removed' } },
    },
    async (req, res) => {
      const { id, userId } = req.input.params;
      await removeMember(db, bus, { actor: req.actor, workspaceId: id, userId });
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/workspace/:id/transfer',
      tag,
      summary: 'Hand ownership to another admin (owner only)',
      request: TransferOwnershipSchema,
      errors: [403, 404, 409],
      responses: { 200: { description: 'The workspace under its new owner', schema: dataOf(WorkspaceSchema) } },
    },
    async (req, res) => {
      const workspace = await transferOwnership(db, { actor: req.actor, workspaceId: req.input.params.id, userId: req.input.body.userId });
      res.json({ data: presentWorkspace(workspace, req.actor) });
    },
  );
}
