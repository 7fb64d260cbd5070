import type { Knex } from 'knex';
import { ACCOUNT, joinAccounts } from '../auth/accounts.ts';
import type { WorkspaceRole } from '@shared/access/index.ts';

/** A `workspaces` row. */
export interface WorkspaceRow {
  id: string;
  name: string;
  slug: string;
  owner_id: string;
  created_at: Date;
  updated_at: Date;
}

/** A `workspace_members` row: rights come from `role` through shared/access, never from the row. */
export interface MemberRow {
  workspace_id: string;
  user_id: string;
  role: WorkspaceRole;
  created_at: Date;
  updated_at: Date;
}

/** A member with the account details the member list shows, and the workspace's owner. */
export interface MemberWithUser extends MemberRow {
  name: string;
  email: string;
  owner_id: string;
}

/**
 * Row locks a loader may take for the caller's transaction: `update` serializes membership changes
 * and deletion; `keyShare` only keeps the workspace from being deleted underneath (renames still pass).
 */
export type WorkspaceLock = 'update' | 'keyShare';

/** A workspace by id, optionally locked for the caller's transaction. */
export function findWorkspace(db: Knex, id: string, options: { lock?: WorkspaceLock } = {}): Promise<WorkspaceRow | undefined> {
  const query = db<WorkspaceRow>('workspaces').where({ id });
  if (options.lock === 'update') query.forUpdate();
  if (options.lock === 'keyShare') query.forKeyShare();
  return query.first();
}

/** The caller's workspaces with their role, by slug; one extra row tells whether another page follows. */
export function listWorkspacesOfUser(db: Knex, userId: string, page: { limit: number; after?: string }) {
  const query = db('workspaces as w')
    .join('workspace_members as m', 'm.workspace_id', 'w.id')
    .where('m.user_id', userId)
    .orderBy('w.slug')
    .limit(page.limit + 1)
    .select<Array<WorkspaceRow & { role: WorkspaceRole }>>('w.*', 'm.role');
  if (page.after !== undefined) query.where('w.slug', '>', page.after);
  return query;
}

/** Slugs already taken by `base` or `base-<n>`. `base` holds only [a-z0-9-], so it is safe inside the pattern. */
export function findSlugsLike(db: Knex, base: string): Promise<string[]> {
  return db('workspaces')
    .where('slug', base)
    .orWhereRaw('slug ~ ?', [`^${base}-[0-9]+$`])
    .pluck('slug');
}

/** Inserts a workspace; a taken slug fails on the unique index (see createWorkspace). */
export async function insertWorkspace(db: Knex, row: Pick<WorkspaceRow, 'name' | 'slug' | 'owner_id'>): Promise<WorkspaceRow> {
  const [inserted] = await db<WorkspaceRow>('workspaces').insert(row).returning('*');
  return inserted!;
}

/** Renames a workspace or changes its owner. */
export async function updateWorkspaceRow(db: Knex, id: string, changes: Partial<Pick<WorkspaceRow, 'name' | 'owner_id'>>) {
  const [updated] = await db<WorkspaceRow>('workspaces')
    .where({ id })
    .update({ ...changes, updated_at: db.fn.now() as unknown as Date })
    .returning('*');
  return updated!;
}

/** Deletes the workspace; members and invitations go with it (ON DELETE CASCADE). */
export async function deleteWorkspaceRow(db: Knex, id: string): Promise<void> {
  await db('workspaces').where({ id }).delete();
}

/** A user's membership of a workspace, if any. */
export function findMember(db: Knex, workspaceId: string, userId: string): Promise<MemberRow | undefined> {
  return db<MemberRow>('workspace_members').where({ workspace_id: workspaceId, user_id: userId }).first();
}

const membersWithUsers = (db: Knex, workspaceId: string) =>
  joinAccounts(
    db('workspace_members as m')
      .join('workspaces as w', 'w.id', 'm.workspace_id')
      .where('m.workspace_id', workspaceId)
      .select('m.*', 'w.owner_id'),
    'm.user_id',
  );

/** Members by email; one extra row tells whether another page follows. */
export function listMembers(db: Knex, workspaceId: string, page: { limit: number; after?: string }): Promise<MemberWithUser[]> {
  const query = membersWithUsers(db, workspaceId)
    .orderByRaw(ACCOUNT.emailKey)
    .limit(page.limit + 1);
  if (page.after !== undefined) query.whereRaw(`${ACCOUNT.emailKey} > ?`, [page.after]);
  return query;
}

/** One member with their account details, as the member list shows them. */
export async function findMemberWithUser(db: Knex, workspaceId: string, userId: string): Promise<MemberWithUser | undefined> {
  const [row] = (await membersWithUsers(db, workspaceId).where('m.user_id', userId)) as MemberWithUser[];
  return row;
}

/** Adds a member with a role. */
export async function insertMember(db: Knex, row: Pick<MemberRow, 'workspace_id' | 'user_id' | 'role'>): Promise<MemberRow> {
  const [inserted] = await db<MemberRow>('workspace_members').insert(row).returning('*');
  return inserted!;
}

/** Sets a member's role. */
export async function updateMemberRole(db: Knex, workspaceId: string, userId: string, role: WorkspaceRole): Promise<MemberRow> {
  const [updated] = await db<MemberRow>('workspace_members')
    .where({ workspace_id: workspaceId, user_id: userId })
    .update({ role, updated_at: db.fn.now() as unknown as Date })
    .returning('*');
  return updated!;
}

/** Removes a membership. */
export async function deleteMember(db: Knex, workspaceId: string, userId: string): Promise<void> {
  await db('workspace_members').where({ workspace_id: workspaceId, user_id: userId }).delete();
}

/** How many admins the workspace has; read under the workspace lock to be meaningful. */
export async function countAdmins(db: Knex, workspaceId: string): Promise<number> {
  const row = await db('workspace_members')
    .where({ workspace_id: workspaceId, role: 'admin' })
    .count<{ count: string }>('* as count')
    .first();
  return Number(row?.count ?? 0);
}

/** True when an account with this email (in any letter case) belongs to the workspace. */
export async function isEmailMember(db: Knex, workspaceId: string, email: string): Promise<boolean> {
  const row = await joinAccounts(db('workspace_members as m').where('m.workspace_id', workspaceId), 'm.user_id')
    .whereRaw(`${ACCOUNT.emailKey} = lower(?)`, [email])
    .first<{ user_id: string } | undefined>('m.user_id');
  return Boolean(row);
}
