import type { Services } from '@shared/services.ts';
import { createRateLimiter } from '@shared/rateLimit.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { dataOf, pageOf } from '../../http/schemas.ts';
import type { Mailer } from '../email/createMailer.ts';
import { acceptInvitation } from './acceptInvitation.ts';
import { findWorkspaceForActor } from './findWorkspaceForActor.ts';
import type { InvitationDelivery } from './invitationEmail.ts';
import { listOpenInvitations } from './invitations.repo.ts';
import { inviteMember } from './inviteMember.ts';
import { presentPage } from '../../http/pagination.ts';
import { resendInvitation } from './resendInvitation.ts';
import { revokeInvitation } from './revokeInvitation.ts';
import { presentInvitation, presentWorkspace } from './workspace.presenter.ts';
import {
  AcceptInvitationSchema,
  InvitationIdSchema,
  InvitationSchema,
  InviteMemberSchema,
  ListInvitationsSchema,
  WorkspaceSchema,
} from './workspaces.schemas.ts';

const tag = 'workspace invitations';

/** Invitations by email: admins invite, resend and revoke; the invited person accepts with the emailed token. */
export function invitationRoutes(api: ApiRouter, services: Services, mailer: Mailer): void {
  const { db, config, redis, jobs } = services;
  const delivery: InvitationDelivery = {
    mailer,
    jobs,
    appUrl: config.APP_URL,
    limiter: createRateLimiter(
      { name: 'invitations-workspace', points: config.RATE_LIMIT_INVITATIONS_PER_WORKSPACE, durationSeconds: 3600 },
      { redis, prefix: config.REDIS_PREFIX },
    ),
  };

  api.route(
    {
      method: 'post',
      path: '/api/workspace/invitations/accept',
      tag,
      summary: 'Join a workspace with an invitation token (the signed-in account must have the invited email)',
      request: AcceptInvitationSchema,
      errors: [403, 404, 409],
      responses: { 200: { description: 'The workspace you joined', schema: dataOf(WorkspaceSchema) } },
    },
    async (req, res) => {
      const workspace = await acceptInvitation(db, { actor: req.actor, token: req.input.body.token });
      res.json({ data: presentWorkspace(workspace, req.actor) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/workspace/:id/invitations',
      tag,
      summary: 'Invite someone by email (admins); an open invitation to the same address is renewed',
      request: InviteMemberSchema,
      errors: [403, 404, 409, 429],
      responses: { 201: { description: 'Invitation made; its email is queued (see emailStatus)', schema: dataOf(InvitationSchema) } },
    },
    async (req, res) => {
      const invitation = await inviteMember(db, delivery, { actor: req.actor, workspaceId: req.input.params.id, ...req.input.body });
      res.status(201).json({ data: presentInvitation(invitation) });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/workspace/:id/invitations',
      tag,
      summary: 'List open invitations, by email (admins)',
      request: ListInvitationsSchema,
      errors: [403, 404],
      responses: { 200: { description: 'A page', schema: pageOf(InvitationSchema) } },
    },
    async (req, res) => {
      const { params, query } = req.input;
      const workspace = await findWorkspaceForActor(db, req.actor, params.id, 'invite');
      const rows = await listOpenInvitations(db, workspace.id, { limit: query.limit, after: query.cursor?.[0] });
      res.json(
        presentPage(
          rows,
          query.limit,
          (row) => [row.email.toLowerCase()],
          (row) => presentInvitation(row),
        ),
      );
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/workspace/:id/invitations/:invitationId/resend',
      tag,
      summary: 'Send an invitation again with a new link and expiry; the old link stops working (admins)',
      request: InvitationIdSchema,
      errors: [403, 404, 429],
      responses: {
        200: { description: 'Invitation renewed; its new email is queued (see emailStatus)', schema: dataOf(InvitationSchema) },
      },
    },
    async (req, res) => {
      const { id, invitationId } = req.input.params;
      const invitation = await resendInvitation(db, delivery, { actor: req.actor, workspaceId: id, invitationId });
      res.json({ data: presentInvitation(invitation) });
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/api/workspace/:id/invitations/:invitationId',
      tag,
      summary: 'Revoke an invitation (admins)',
      request: InvitationIdSchema,
      errors: [403, 404],
      responses: { 204: { description: 'Revoked' } },
    },
    async (req, res) => {
      const { id, invitationId } = req.input.params;
      await revokeInvitation(db, { actor: req.actor, workspaceId: id, invitationId });
      res.status(204).end();
    },
  );
}
