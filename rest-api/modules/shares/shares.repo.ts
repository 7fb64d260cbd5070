import type { Knex } from 'knex';
import { queryPrepared } from '@shared/db.ts';
import type { SharePermission } from '@shared/access/index.ts';

export interface ShareRow {
  id: string;
  conversation_id: string;
  created_by: string | null;
  permission: SharePermission;
  password_hash: string | null;
  expires_at: Date | null;
  max_views: number | null;
  view_count: number;
  revoked_at: Date | null;
  created_at: Date;
}

export async function insertShare(db: Knex, row: Omit<ShareRow, 'view_count' | 'revoked_at' | 'created_at'>): Promise<ShareRow> {
  const [inserted] = await db<ShareRow>('shares').insert(row).returning('*');
  return inserted!;
}

export function findShare(db: Knex, id: string): Promise<ShareRow | undefined> {
  return db<ShareRow>('shares').where({ id }).first();
}

/**
 * Spends one view and writes its audit row in a single statement, so the limit holds however many
 * viewers arrive at once: PostgreSQL re-checks the conditions on the row it locks, and only a view that
 * still fits counts. One statement is also one round trip with the row lock held for the commit alone,
 * which is what keeps a popular link fast. (The audit row is written here rather than through
 * shared/audit.ts so that it shares the statement; it names the same columns.) Undefined when nothing
 * was counted. Used for links with a view limit; the others are counted in batches (ShareViewCounter.ts).
 */
export async function countShareView(db: Knex, id: string, options: { ip: string }): Promise<ShareRow | undefined> {
  // Every view of a limited link queues on its row until the commit: a prepared statement keeps the
  // work outside that queue (parse, plan) to once per connection. The row must be usable: not revoked,
  // not expired, views left — re-checked by PostgreSQL on the row it locks. Named columns, not *: a
  // prepared statement's result must not change shape under it.
  const text = `with viewed as (
      update shares set view_count = view_count + 1
      where id = $1 and revoked_at is null and (expires_at is null or expires_at > now())
        and (max_views is null or view_count < max_views)
      returning id, conversation_id, created_by, permission, password_hash, expires_at, max_views, view_count, revoked_at, created_at
    ), logged as (
      insert into audit_log (action, subject_type, subject_id, ip, data)
      select 'share.viewed', 'share', id, $2,
        jsonb_build_object('conversationId', conversation_id, 'permission', permission, 'viewCount', view_count)
      from viewed
    )
    select * from viewed`;
  const prepared = await queryPrepared<ShareRow>(db, { name: 'count_share_view', text, values: [id, options.ip] });
  if (prepared) return prepared[0];
  const { rows } = await db.raw<{ rows: ShareRow[] }>(text.replace(/\$(\d)/g, '?'), [id, options.ip]);
  return rows[0];
}

/** Marks a share revoked, once: a second revoke (or a racing one) finds nothing and gets undefined. */
export async function markShareRevoked(db: Knex, id: string): Promise<ShareRow | undefined> {
  const [row] = await db<ShareRow>('shares')
    .where({ id })
    .whereNull('revoked_at')
    .update({ revoked_at: db.fn.now() as unknown as Date })
    .returning('*');
  return row;
}

// `created_at` to the microsecond, in UTC: a JavaScript Date would drop the microseconds and skip or repeat rows.
const CURSOR_AT = `to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** A conversation's shares, newest first, with one extra row to tell whether another page follows. */
export function listSharesOfConversation(
  db: Knex,
  conversationId: string,
  page: { limit: number; after?: readonly [createdAt: string, id: string] },
) {
  const query = db('shares')
    .where({ conversation_id: conversationId })
    .select('*', db.raw(`${CURSOR_AT} as cursor_at`))
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(page.limit + 1);
  if (page.after) query.whereRaw('(created_at, id) < (?::timestamptz, ?)', [...page.after]);
  return query as Promise<Array<ShareRow & { cursor_at: string }>>;
}
