import { z } from 'zod';
import { pageQuery } from '../../http/pagination.ts';
import { IdParam, Text } from '../../http/schemas.ts';

/** Most workspaces, and most conversations, one account's scope may name. */
export const MAX_SCOPE_ENTRIES = 100;

const ScopeIds = (what: string) =>
  z
    .array(IdParam)
    .max(MAX_SCOPE_ENTRIES)
    .refine((ids) => new Set(ids).size === ids.length, `must not name a ${what} twice`);

export const CreateServiceAccountSchema = z.object({
  body: z
    .strictObject({
      name: Text().trim().min(1).max(100).describe('What the key is for, e.g. "AI backend (production)"'),
      workspaceIds: ScopeIds('workspace').optional().describe('It may act in every conversation of these workspaces'),
      conversationIds: ScopeIds('conversation').optional().describe('It may act in these conversations'),
    })
    .refine((body) => (body.workspaceIds?.length ?? 0) + (body.conversationIds?.length ?? 0) > 0, {
      message: 'a service account needs a scope: give workspaceIds or conversationIds',
      path: ['workspaceIds'],
    }),
});
export type CreateServiceAccountReq = z.infer<typeof CreateServiceAccountSchema>;

export const ListServiceAccountsSchema = z.object({ query: pageQuery('seq') });
export const ServiceAccountIdSchema = z.object({ params: z.object({ id: IdParam }) });

export const ServiceAccountSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    keyPrefix: z.string().describe('The first characters of its key, to tell keys apart; the key itself is never shown again'),
    workspaceIds: z.array(z.uuid()).describe('Workspaces in whose conversations it may act (deleted ones drop out)'),
    conversationIds: z.array(z.uuid()).describe('Conversations it may act in (deleted ones drop out)'),
    createdBy: z.uuid().nullable().describe('The operator who created it; null once that account is gone'),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable().describe('When its key last authenticated a request, to the minute; null if never'),
    revokedAt: z.iso.datetime().nullable().describe('When it was revoked (its key refused from then on); null while live'),
  })
  .meta({ id: 'ServiceAccount' });

export const CreatedServiceAccountSchema = ServiceAccountSchema.extend({
  apiKey: z.string().describe('The API key, `twk_…`: shown this once and stored only as a hash. Send it as `Authorization: Bearer twk_…`'),
}).meta({ id: 'CreatedServiceAccount' });
