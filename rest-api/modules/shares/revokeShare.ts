import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { findShareForManager, shareNotFound } from './findShareForManager.ts';
import { markShareRevoked } from './shares.repo.ts';

interface Props {
  /** Who revokes; must be allowed to manage the share's conversation. */
  actor: Actor;
  /** The share to end. */
  shareId: string;
  /** The client's IP, for the audit trail. */
  ip?: string;
}

/**
 * Ends a share link for good: views answer 404 at once, and after the commit collab nodes hear
 * `share.revoked` and close the connections opened with its tokens. Revoking twice answers 404.
 */
export async function revokeShare(db: Knex, bus: Bus, props: Props): Promise<void> {
  const share = await db.transaction(async (trx) => {
    await findShareForManager(trx, props.actor, props.shareId);
    const revoked = await markShareRevoked(trx, props.shareId);
    if (!revoked) throw shareNotFound();
    await writeAudit(trx, {
      actorId: props.actor.id,
      action: 'share.revoked',
      subjectType: 'share',
      subjectId: revoked.id,
      ip: props.ip,
      data: { conversationId: revoked.conversation_id, viewCount: revoked.view_count },
    });
    return revoked;
  });
  await bus.publish('share.revoked', { shareId: share.id, conversationId: share.conversation_id });
}
