import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { SharePermission } from '@shared/access/index.ts';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import { hashPassword } from '../auth/passwords.ts';
import { findConversationForActor } from '../conversations/findConversationForActor.ts';
import { insertShare, type ShareRow } from './shares.repo.ts';

interface Props {
  /** Who shares; must be allowed to manage the conversation. */
  actor: Actor;
  /** The conversation the link opens. */
  conversationId: string;
  /** What the link's holders may do: read, comment, or edit. */
  permission: SharePermission;
  /** Asked of every viewer when set; only its argon2id hash is stored. */
  password?: string;
  /** When the link stops working; unset: never. */
  expiresAt?: Date;
  /** How many times the link may be opened; unset: no limit. */
  maxViews?: number;
  /** The client's IP, for the audit trail. */
  ip?: string;
}

/** 144 bits from the CSPRNG as 24 URL-safe characters: the id is the capability, so it must not be guessable. */
export function generateShareId(): string {
  return crypto.randomBytes(18).toString('base64url');
}

/** Creates a share link for a conversation the actor may manage. */
export async function createShare(db: Knex, props: Props): Promise<ShareRow> {
  // Checked before hashing, so a caller with no rights cannot buy argon2 work; checked again in the
  // transaction, which holds the conversation while the share is written.
  await findConversationForActor(db, props.actor, props.conversationId, 'share');
  const passwordHash = props.password === undefined ? null : await hashPassword(props.password);
  return db.transaction(async (trx) => {
    await findConversationForActor(trx, props.actor, props.conversationId, 'share');
    const share = await insertShare(trx, {
      id: generateShareId(),
      conversation_id: props.conversationId,
      created_by: props.actor.id,
      permission: props.permission,
      password_hash: passwordHash,
      expires_at: props.expiresAt ?? null,
      max_views: props.maxViews ?? null,
    });
    await writeAudit(trx, {
      actorId: props.actor.id,
      action: 'share.created',
      subjectType: 'share',
      subjectId: share.id,
      ip: props.ip,
      data: {
        conversationId: share.conversation_id,
        permission: share.permission,
        hasPassword: passwordHash !== null,
        expiresAt: share.expires_at?.toISOString() ?? null,
        maxViews: share.max_views,
      },
    });
    return share;
  });
}
