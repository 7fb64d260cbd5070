import type { Knex } from 'knex';
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

/** A usable share: not revoked, not expired, views left (re-checked by PostgreSQL on the row it locks). */
function whereLive(query: Knex.QueryBuilder): Knex.QueryBuilder {
  return query
    .whereNull('revoked_at')
    .andWhere((q) => {
      q.whereNull('expires_at').orWhereRaw('expires_at > now()');
    })
    .andWhere((q) => {
      q.whereNull('max_views').orWhereRaw('view_count < max_views');
    });
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
  const counted = whereLive(db('shares').where({ id }));
  const rows = await db
    .with('viewed', counted.update({ view_count: db.raw('view_count + 1') }).returning('*'))
    .with(
      'logged',
      db.raw(
        `insert into audit_log (action, subject_type, subject_id, ip, data)
       select 'share.viewed', 'share', id, ?,
         jsonb_build_object('conversationId', conversation_id, 'permission', permission, 'viewCount', view_count)
       from viewed`,
        [options.ip],
      ),
    )
    .select('*')
    .from('viewed');
  return (rows as ShareRow[])[0];
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
