import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import { writeAudit } from '@shared/audit.ts';
import type { Bus } from '@shared/bus.ts';
import { NotFoundError } from '@shared/errors.ts';
import type { ServiceAccountKeys } from './ServiceAccountKeys.ts';
import { markServiceAccountRevoked } from './serviceAccounts.repo.ts';

interface Props {
  /** The operator revoking it (the route has checked the role). */
  actor: Actor;
  serviceAccountId: string;
  /** The operator's IP, for the audit trail. */
  ip?: string;
}

/**
 * Revokes a service account for good: its key is refused from the commit on. Right after the commit
 * this process forgets the key (`keys`, without waiting for the bus, nor failing with it), then every
 * other node hears `service_account.revoked` and forgets it too. Its messages stay, still naming it.
 * Revoking twice, or an unknown id, answers 404.
 */
export async function revokeServiceAccount(
  db: Knex,
  bus: Bus,
  props: Props,
  deps: { keys?: Pick<ServiceAccountKeys, 'forget'> } = {},
): Promise<void> {
  await db.transaction(async (trx) => {
    const revoked = await markServiceAccountRevoked(trx, props.serviceAccountId);
    if (!revoked) throw new NotFoundError('Service account not found');
    await writeAudit(trx, {
      actorId: props.actor.id,
      action: 'service_account.revoked',
      subjectType: 'service_account',
      subjectId: revoked.id,
      ip: props.ip,
      data: { name: revoked.name, keyPrefix: revoked.key_prefix },
    });
  });
  deps.keys?.forget(props.serviceAccountId);
  await bus.publish('service_account.revoked', { serviceAccountId: props.serviceAccountId });
}
