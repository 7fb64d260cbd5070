import type { Knex } from 'knex';
import { queryPrepared } from '@shared/db.ts';
import type { MessageRole, WorkspaceRole } from '@shared/access/index.ts';
import type { DocumentExecution } from '@shared/documents/conversationDocument.ts';
import type { AttachmentRow } from '../attachments/attachments.repo.ts';

export interface ConversationRow {
  id: string;
  seq: string | number;
  owner_id: string;
  workspace_id: string | null;
  title: string;
  created_at: Date;
  updated_at: Date;
  /** Not a column: the asking user's role in the workspace, filled in by loaders that know the user. */
  workspace_role?: WorkspaceRole | null;
}

/** One page of a list ordered by `seq`: how many rows, and the `seq` of the previous page's last row. */
export interface KeysetPage {
  limit: number;
  after?: string;
}

export interface MessageRow {
  id: string;
  seq: string | number;
  conversation_id: string;
  /** The person who posted it; null for a service account's message, or once the account is gone. */
  author_id: string | null;
  /** The service account that posted it; null for a person's message. */
  service_account_id: string | null;
  role: MessageRole;
  content: string;
  /** Who last edited the text (its author, when a person), and when; null until then. */
  edited_by: string | null;
  edited_at: Date | null;
  /** On `tool` messages: the code run they record. */
  execution: DocumentExecution | null;
  created_at: Date;
  updated_at: Date;
  /** Not a column: the message's attachments, filled in by loaders that present it. */
  attachments?: AttachmentRow[];
}

/**
 * `forUpdate` locks the row until the caller's transaction ends, so a concurrent delete waits for a
 * write to finish (or the write, run second, finds nothing) instead of failing half-way.
 */
export async function findConversation(db: Knex, id: string, options: { forUpdate?: boolean } = {}): Promise<ConversationRow | undefined> {
  if (!options.forUpdate) {
    // Every request that touches a conversation starts here: worth a prepared statement.
    // Named columns, not *: a prepared `select *` fails once a later migration adds a column.
    const text = 'select id, seq, owner_id, workspace_id, title, created_at, updated_at from conversations where id = $1';
    const rows = await queryPrepared<ConversationRow>(db, { name: 'find_conversation', text, values: [id] });
    if (rows) return rows[0];
  }
  const query = db<ConversationRow>('conversations').where({ id });
  if (options.forUpdate) query.forUpdate();
  return query.first();
}

/**
 * A user's personal conversations (not those they created in a workspace), newest first. Fetches one
 * extra row to know whether another page follows.
 */
export function listConversationsOwnedBy(db: Knex, ownerId: string, page: KeysetPage) {
  const query = db<ConversationRow>('conversations')
    .where({ owner_id: ownerId })
    .whereNull('workspace_id')
    .orderBy('seq', 'desc')
    .limit(page.limit + 1);
  if (page.after !== undefined) query.where('seq', '<', page.after);
  return query;
}

/** A workspace's conversations, whoever created them, newest first; one extra row for paging. */
export function listConversationsInWorkspace(db: Knex, workspaceId: string, page: KeysetPage) {
  const query = db<ConversationRow>('conversations')
    .where({ workspace_id: workspaceId })
    .orderBy('seq', 'desc')
    .limit(page.limit + 1);
  if (page.after !== undefined) query.where('seq', '<', page.after);
  return query;
}

export async function insertConversation(db: Knex, row: Pick<ConversationRow, 'owner_id' | 'workspace_id' | 'title'>) {
  const [inserted] = await db<ConversationRow>('conversations').insert(row).returning('*');
  return inserted!;
}

export async function updateConversationRow(db: Knex, id: string, changes: Partial<Pick<ConversationRow, 'title'>>) {
  const [updated] = await db<ConversationRow>('conversations')
    .where({ id })
    .update({ ...changes, updated_at: db.fn.now() as unknown as Date })
    .returning('*');
  return updated;
}

export async function deleteConversationRow(db: Knex, id: string): Promise<void> {
  await db('conversations').where({ id }).delete();
}

/** Deletes every conversation of a workspace with its messages; returns what was deleted. */
export function deleteConversationsInWorkspace(db: Knex, workspaceId: string): Promise<Array<Pick<ConversationRow, 'id' | 'title'>>> {
  return db<ConversationRow>('conversations').where({ workspace_id: workspaceId }).delete().returning(['id', 'title']);
}

/** Oldest first: the order a conversation is read in. */
export function listMessages(db: Knex, conversationId: string, page: KeysetPage) {
  const query = db<MessageRow>('messages')
    .where({ conversation_id: conversationId })
    .orderBy('seq', 'asc')
    .limit(page.limit + 1);
  if (page.after !== undefined) query.where('seq', '>', page.after);
  return query;
}

export function findMessage(db: Knex, conversationId: string, id: string): Promise<MessageRow | undefined> {
  return db<MessageRow>('messages').where({ conversation_id: conversationId, id }).first();
}

export async function insertMessage(
  db: Knex,
  row: Pick<MessageRow, 'conversation_id' | 'author_id' | 'service_account_id' | 'role' | 'content'> &
    Partial<Pick<MessageRow, 'execution'>>,
) {
  // jsonb takes the JSON text: node-postgres would send a plain object as-is, and PGlite too.
  const values = { ...row, execution: row.execution ? JSON.stringify(row.execution) : null };
  const [inserted] = await db<MessageRow>('messages')
    .insert(values as unknown as MessageRow)
    .returning('*');
  await db('conversations').where({ id: row.conversation_id }).update({ updated_at: db.fn.now() });
  return inserted!;
}

/** Replaces a message's text, recording who edited it (a person; null for a service account) and when. */
export async function updateMessageRow(db: Knex, id: string, edit: { content: string; editedBy: string | null }) {
  const now = db.fn.now() as unknown as Date;
  const [updated] = await db<MessageRow>('messages')
    .where({ id })
    .update({ content: edit.content, edited_by: edit.editedBy, edited_at: now, updated_at: now })
    .returning('*');
  return updated!;
}

export async function deleteMessageRow(db: Knex, id: string): Promise<void> {
  await db('messages').where({ id }).delete();
}
