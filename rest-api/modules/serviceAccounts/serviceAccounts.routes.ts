import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { presentPage } from '../../http/pagination.ts';
import { dataOf, pageOf } from '../../http/schemas.ts';
import { createServiceAccount } from './createServiceAccount.ts';
import { revokeServiceAccount } from './revokeServiceAccount.ts';
import { presentServiceAccount } from './serviceAccount.presenter.ts';
import type { ServiceAccountKeys } from './ServiceAccountKeys.ts';
import { listServiceAccounts } from './serviceAccounts.repo.ts';
import {
  CreatedServiceAccountSchema,
  CreateServiceAccountSchema,
  ListServiceAccountsSchema,
  ServiceAccountIdSchema,
  ServiceAccountSchema,
} from './serviceAccounts.schemas.ts';

const tag = 'service accounts';

/** Service accounts and their API keys: operators only (`auth: 'operator'`), every call audited. */
export function serviceAccountRoutes(api: ApiRouter, services: Services, keys: ServiceAccountKeys): void {
  const { db, bus } = services;

  api.route(
    {
      method: 'post',
      path: '/api/service-accounts',
      tag,
      auth: 'operator',
      summary: 'Create a service account scoped to workspaces and/or conversations; its API key is in the answer, this once',
      request: CreateServiceAccountSchema,
      errors: [404],
      responses: { 201: { description: 'Created, with its key', schema: dataOf(CreatedServiceAccountSchema) } },
    },
    async (req, res) => {
      const { account, apiKey } = await createServiceAccount(db, { actor: req.actor, ...req.input.body, ip: req.ip });
      res.status(201).json({ data: { ...presentServiceAccount(account), apiKey } });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/service-accounts',
      tag,
      auth: 'operator',
      summary: 'List service accounts, revoked ones too, newest first',
      request: ListServiceAccountsSchema,
      responses: { 200: { description: 'A page', schema: pageOf(ServiceAccountSchema) } },
    },
    async (req, res) => {
      const { limit, cursor } = req.input.query;
      const rows = await listServiceAccounts(db, { limit, after: cursor?.[0] });
      res.json(presentPage(rows, limit, (row) => [row.seq], presentServiceAccount));
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/api/service-accounts/:id',
      tag,
      auth: 'operator',
      summary: 'Revoke a service account: its key is refused at once, on every node',
      request: ServiceAccountIdSchema,
      errors: [404],
      responses: { 204: { description: 'Revoked' } },
    },
    async (req, res) => {
      await revokeServiceAccount(db, bus, { actor: req.actor, serviceAccountId: req.input.params.id, ip: req.ip }, { keys });
      res.status(204).end();
    },
  );
}
