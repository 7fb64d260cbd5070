import type { Knex } from 'knex';
import type { WorkspaceRole } from '@shared/access/index.ts';
import type { EmailStatus } from '../email/createMailer.ts';

/** A `workspace_invitations` row. `token_hash` never leaves the server (see presentInvitation). */
export interface InvitationRow {
  id: string;
  workspace_id: string;
  email: string;
  role: WorkspaceRole;
  token_hash: string;
  invited_by: string | null;
  expires_at: Date;
  accepted_at: Date | null;
  accepted_by: string | null;
  revoked_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /** The invitation's latest email. */
  email_outbox_id: string | null;
  /** That email's status, where the query joined it. */
  email_status?: EmailStatus | null;
}

/** How long an invitation link works, as SQL so that the database clock alone decides expiry. */
const INVITATION_LIFETIME = "now() + interval '7 days'";

/**
 * Not accepted and not revoked: the rows the partial unique index on (workspace_id, lower(email)) covers.
 * `modify()` forgets the table's row type, so callers name it again: `.modify<InvitationRow>(isOpen)`.
 */
const isOpen = (query: Knex.QueryBuilder): void => {
  query.whereNull('accepted_at').whereNull('revoked_at');
};

/**
 * Creates the open invitation for this address, or renews the one that exists (new token, role and
 * expiry; the old token stops working). One statement, so two admins inviting the same person at
 * once end with one invitation rather than a unique-index error. `inserted` tells which happened.
 */
export async function upsertInvitation(
  db: Knex,
  row: Pick<InvitationRow, 'workspace_id' | 'email' | 'role' | 'token_hash' | 'invited_by'>,
): Promise<{ invitation: InvitationRow; inserted: boolean }> {
  const result = await db.raw<{ rows: Array<InvitationRow & { inserted: boolean }> }>(
    `insert into workspace_invitations (workspace_id, email, role, token_hash, invited_by, expires_at)
     values (?, ?, ?, ?, ?, ${INVITATION_LIFETIME})
     on conflict (workspace_id, lower(email)) where accepted_at is null and revoked_at is null
     do update set email = excluded.email, role = excluded.role, token_hash = excluded.token_hash,
       invited_by = excluded.invited_by, expires_at = excluded.expires_at, updated_at = now()
     returning *, (xmax = 0) as inserted`,
    [row.workspace_id, row.email, row.role, row.token_hash, row.invited_by],
  );
  const { inserted, ...invitation } = result.rows[0]!;
  return { invitation, inserted };
}

/** Gives an open invitation a new token and a fresh lifetime; undefined when there is no such open invitation. */
export async function renewInvitationToken(db: Knex, workspaceId: string, id: string, tokenHash: string) {
  const [renewed] = await db<InvitationRow>('workspace_invitations')
    .where({ workspace_id: workspaceId, id })
    .modify<InvitationRow>(isOpen)
    .update({
      token_hash: tokenHash,
      expires_at: db.raw(INVITATION_LIFETIME) as unknown as Date,
      updated_at: db.fn.now() as unknown as Date,
    })
    .returning('*');
  return renewed;
}

/** Marks an open invitation revoked; undefined when there is no such open invitation. */
export async function revokeInvitationRow(db: Knex, workspaceId: string, id: string) {
  const [revoked] = await db<InvitationRow>('workspace_invitations')
    .where({ workspace_id: workspaceId, id })
    .modify<InvitationRow>(isOpen)
    .update({ revoked_at: db.fn.now() as unknown as Date, updated_at: db.fn.now() as unknown as Date })
    .returning('*');
  return revoked;
}

/** Open invitations (expired ones included, so they can be resent) with their email's status, by email; one extra row for paging. */
export function listOpenInvitations(db: Knex, workspaceId: string, page: { limit: number; after?: string }) {
  const query = db<InvitationRow>('workspace_invitations')
    .leftJoin('email_outbox', 'email_outbox.id', 'workspace_invitations.email_outbox_id')
    .where({ workspace_id: workspaceId })
    .modify<InvitationRow>(isOpen)
    .orderByRaw('lower(email)')
    .limit(page.limit + 1)
    .select<InvitationRow[]>('workspace_invitations.*', 'email_outbox.status as email_status');
  if (page.after !== undefined) query.whereRaw('lower(email) > ?', [page.after]);
  return query;
}

/**
 * Spends the invitation for this user, atomically: of two acceptances racing with one token only one
 * updates the row. The address must match the account's, in any letter case.
 */
export async function claimInvitation(db: Knex, tokenHash: string, user: { id: string; email: string }) {
  const [claimed] = await db<InvitationRow>('workspace_invitations')
    .where({ token_hash: tokenHash })
    .modify<InvitationRow>(isOpen)
    .where('expires_at', '>', db.fn.now())
    .whereRaw('lower(email) = lower(?)', [user.email])
    .update({ accepted_at: db.fn.now() as unknown as Date, accepted_by: user.id, updated_at: db.fn.now() as unknown as Date })
    .returning('*');
  return claimed;
}

/** An invitation this token would still open, whoever asks. */
export function findUsableInvitation(db: Knex, tokenHash: string): Promise<InvitationRow | undefined> {
  return db<InvitationRow>('workspace_invitations')
    .where({ token_hash: tokenHash })
    .modify<InvitationRow>(isOpen)
    .where('expires_at', '>', db.fn.now())
    .first();
}
