import type { Knex } from 'knex';
import type { ServicePrincipal } from '@shared/access/index.ts';

/** One page of a list ordered by `seq`: how many rows, and the `seq` of the previous page's last row. */
export interface KeysetPage {
  limit: number;
  after?: string;
}

export interface ServiceAccountRow {
  id: string;
  seq: string | number;
  name: string;
  key_prefix: string;
  key_hash: string;
  created_by: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** A row as lists and presenters see it: never the hash, always the scope. */
export type ServiceAccountListing = Omit<ServiceAccountRow, 'key_hash'> & { workspace_ids: string[]; conversation_ids: string[] };

/** The columns anyone may read, and the scope as two JSON arrays (portable across pg and PGlite, unlike uuid[]). */
function listingColumns(db: Knex) {
  return [
    'sa.id',
    'sa.seq',
    'sa.name',
    'sa.key_prefix',
    'sa.created_by',
    'sa.created_at',
    'sa.last_used_at',
    'sa.revoked_at',
    db.raw(`coalesce((select json_agg(w.workspace_id order by w.workspace_id) from service_account_workspaces w
      where w.service_account_id = sa.id), '[]'::json) as workspace_ids`),
    db.raw(`coalesce((select json_agg(c.conversation_id order by c.conversation_id) from service_account_conversations c
      where c.service_account_id = sa.id), '[]'::json) as conversation_ids`),
  ];
}

/** Stores a new account with its scope; the caller's transaction makes it all or nothing. */
export async function insertServiceAccount(
  db: Knex,
  row: Pick<ServiceAccountRow, 'name' | 'key_prefix' | 'key_hash' | 'created_by'> & { workspaceIds: string[]; conversationIds: string[] },
): Promise<ServiceAccountListing> {
  const { workspaceIds, conversationIds, ...account } = row;
  const [inserted] = await db<ServiceAccountRow>('service_accounts').insert(account).returning('id');
  const id = inserted!.id;
  if (workspaceIds.length > 0)
    await db('service_account_workspaces').insert(workspaceIds.map((workspace_id) => ({ service_account_id: id, workspace_id })));
  if (conversationIds.length > 0) {
    await db('service_account_conversations').insert(
      conversationIds.map((conversation_id) => ({ service_account_id: id, conversation_id })),
    );
  }
  return (await findServiceAccount(db, id))!;
}

export function findServiceAccount(db: Knex, id: string): Promise<ServiceAccountListing | undefined> {
  return db('service_accounts as sa').where('sa.id', id).first(listingColumns(db));
}

/** Every account, revoked ones included, newest first; one extra row to know whether a page follows. */
export function listServiceAccounts(db: Knex, page: KeysetPage): Promise<ServiceAccountListing[]> {
  const query = db('service_accounts as sa')
    .select(listingColumns(db))
    .orderBy('sa.seq', 'desc')
    .limit(page.limit + 1);
  if (page.after !== undefined) query.where('sa.seq', '<', page.after);
  return query;
}

/** The live (not revoked) account a key hash names, as the access model's principal; undefined otherwise. */
export async function findLivePrincipalByKeyHash(db: Knex, keyHash: string): Promise<ServicePrincipal | undefined> {
  const row: ServiceAccountListing | undefined = await db('service_accounts as sa')
    .where({ 'sa.key_hash': keyHash })
    .whereNull('sa.revoked_at')
    .first(listingColumns(db));
  if (!row) return undefined;
  return { type: 'service', id: row.id, scope: { workspaceIds: row.workspace_ids, conversationIds: row.conversation_ids } };
}

/** Marks a live account revoked; undefined when there is none with this id, or it already was. */
export async function markServiceAccountRevoked(
  db: Knex,
  id: string,
): Promise<Pick<ServiceAccountRow, 'id' | 'name' | 'key_prefix'> | undefined> {
  const [row] = await db<ServiceAccountRow>('service_accounts')
    .where({ id })
    .whereNull('revoked_at')
    .update({ revoked_at: db.fn.now() as unknown as Date })
    .returning(['id', 'name', 'key_prefix']);
  return row;
}

/**
 * Records that a key was used. The condition makes it a no-op within a minute of the last write,
 * whichever node wrote it, so however many nodes serve a key the row changes at most once a minute.
 */
export async function touchServiceAccount(db: Knex, id: string): Promise<void> {
  await db('service_accounts')
    .where({ id })
    .whereNull('revoked_at')
    .where((q) => {
      q.whereNull('last_used_at').orWhereRaw(`last_used_at < now() - interval '1 minute'`);
    })
    .update({ last_used_at: db.fn.now() });
}

/**
 * Which of these ids name an existing row of the table, key-share locking those rows for the caller's
 * transaction: a workspace or conversation deleted meanwhile waits, rather than failing the insert of
 * its scope entry at the foreign key.
 */
export async function lockExistingIds(db: Knex, table: 'workspaces' | 'conversations', ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows: Array<{ id: string }> = await db(table).whereIn('id', ids).forKeyShare().select('id');
  return new Set(rows.map((row) => row.id));
}
