import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import { NotFoundError } from '@shared/errors.ts';
import { generateApiKey } from './apiKeys.ts';
import { insertServiceAccount, lockExistingIds, type ServiceAccountListing } from './serviceAccounts.repo.ts';

interface Props {
  /** The operator creating it (the route has checked the role). */
  actor: Actor;
  /** What the key is for. */
  name: string;
  /** Workspaces in whose conversations it may act. */
  workspaceIds?: string[];
  /** Conversations it may act in. */
  conversationIds?: string[];
  /** The operator's IP, for the audit trail. */
  ip?: string;
}

/**
 * Creates a service account and its API key. The key is returned this once and stored only as its
 * SHA-256; the audit row names the account, its key prefix and its scope, never the key. Every
 * workspace and conversation of the scope must exist (404 naming the first that does not).
 */
export async function createServiceAccount(db: Knex, props: Props): Promise<{ account: ServiceAccountListing; apiKey: string }> {
  const workspaceIds = props.workspaceIds ?? [];
  const conversationIds = props.conversationIds ?? [];
  const apiKey = generateApiKey();
  const account = await db.transaction(async (trx) => {
    await requireAll(trx, 'workspaces', workspaceIds, 'Workspace');
    await requireAll(trx, 'conversations', conversationIds, 'Conversation');
    const created = await insertServiceAccount(trx, {
      name: props.name,
      key_prefix: apiKey.displayPrefix,
      key_hash: apiKey.hash,
      created_by: props.actor.id,
      workspaceIds,
      conversationIds,
    });
    await writeAudit(trx, {
      actorId: props.actor.id,
      action: 'service_account.created',
      subjectType: 'service_account',
      subjectId: created.id,
      ip: props.ip,
      data: { name: created.name, keyPrefix: created.key_prefix, workspaceIds, conversationIds },
    });
    return created;
  });
  return { account, apiKey: apiKey.key };
}

async function requireAll(trx: Knex, table: 'workspaces' | 'conversations', ids: string[], noun: string): Promise<void> {
  const found = await lockExistingIds(trx, table, ids);
  const missing = ids.find((id) => !found.has(id));
  if (missing) throw new NotFoundError(`${noun} ${missing} not found`);
}
