import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { dataOf, pageOf } from '../../http/schemas.ts';
import { createMailer } from '../email/createMailer.ts';
import { createWorkspace } from './createWorkspace.ts';
import { deleteWorkspace } from './deleteWorkspace.ts';
import { findWorkspaceForActor } from './findWorkspaceForActor.ts';
import { invitationRoutes } from './invitations.routes.ts';
import { presentPage } from '../../http/pagination.ts';
import { memberRoutes } from './members.routes.ts';
import { updateWorkspace } from './updateWorkspace.ts';
import { presentWorkspace } from './workspace.presenter.ts';
import { listWorkspacesOfUser } from './workspaces.repo.ts';
import {
  CreateWorkspaceSchema,
  ListWorkspacesSchema,
  UpdateWorkspaceSchema,
  WorkspaceIdSchema,
  WorkspaceSchema,
} from './workspaces.schemas.ts';

const tag = 'workspaces';

/** Team workspaces, their members and invitations. Non-members get 404 for everything. */
export function workspaceRoutes(api: ApiRouter, services: Services): void {
  const { db, bus } = services;

  api.route(
    {
      method: 'post',
      path: '/api/workspace',
      tag,
      summary: 'Create a workspace; you become its owner and an admin',
      request: CreateWorkspaceSchema,
      responses: { 201: { description: 'Created', schema: dataOf(WorkspaceSchema) } },
    },
    async (req, res) => {
      const workspace = await createWorkspace(db, { actor: req.actor, name: req.input.body.name });
      res.status(201).json({ data: presentWorkspace(workspace, req.actor) });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/workspace',
      tag,
      summary: 'List the workspaces you belong to, with your role, by slug',
      request: ListWorkspacesSchema,
      responses: { 200: { description: 'A page', schema: pageOf(WorkspaceSchema) } },
    },
    async (req, res) => {
      const { limit, cursor } = req.input.query;
      const rows = await listWorkspacesOfUser(db, req.actor.id, { limit, after: cursor?.[0] });
      res.json(
        presentPage(
          rows,
          limit,
          (row) => [row.slug],
          (row) => presentWorkspace(row, req.actor),
        ),
      );
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/workspace/:id',
      tag,
      summary: 'Get a workspace',
      request: WorkspaceIdSchema,
      errors: [404],
      responses: { 200: { description: 'The workspace', schema: dataOf(WorkspaceSchema) } },
    },
    async (req, res) => {
      const workspace = await findWorkspaceForActor(db, req.actor, req.input.params.id, 'read');
      res.json({ data: presentWorkspace(workspace, req.actor) });
    },
  );

  api.route(
    {
      method: 'patch',
      path: '/api/workspace/:id',
      tag,
      summary: 'Rename a workspace (admins; the slug stays)',
      request: UpdateWorkspaceSchema,
      errors: [403, 404],
      responses: { 200: { description: 'Updated', schema: dataOf(WorkspaceSchema) } },
    },
    async (req, res) => {
      const workspace = await updateWorkspace(db, { actor: req.actor, id: req.input.params.id, name: req.input.body.name });
      res.json({ data: presentWorkspace(workspace, req.actor) });
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/api/workspace/:id',
      tag,
      summary: 'Delete a workspace with its conversations (owner only)',
      request: WorkspaceIdSchema,
      errors: [403, 404],
      responses: { 204: { description: 'Deleted' } },
    },
    async (req, res) => {
      await deleteWorkspace(db, bus, { actor: req.actor, id: req.input.params.id }, services);
      res.status(204).end();
    },
  );

  memberRoutes(api, services);
  invitationRoutes(api, services, createMailer(services));
}
