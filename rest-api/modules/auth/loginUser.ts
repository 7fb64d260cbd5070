import type { Knex } from 'knex';
import { writeAudit } from '@shared/audit.ts';
import { AuthenticationError } from '@shared/errors.ts';
import type { LoginInput } from './auth.schemas.ts';
import { issueSession, type Session, type SessionSettings } from './issueSession.ts';
import { verifyPassword } from './passwords.ts';
import { findUserByEmail } from './users.repo.ts';

interface Props extends LoginInput {
  ip?: string;
}

/**
 * Signs a user in. Unknown email and wrong password give the same 401 after the same argon2 work,
 * so neither the answer nor its timing tells whether an account exists.
 */
export async function loginUser(db: Knex, settings: SessionSettings, props: Props): Promise<Session> {
  const user = await findUserByEmail(db, props.email);
  const valid = await verifyPassword(user?.password_hash, props.password);
  if (!user || !valid) {
    await writeAudit(db, {
      actorId: user?.id ?? null,
      action: 'user.login_failed',
      subjectType: 'user',
      subjectId: user?.id,
      ip: props.ip,
    });
    throw new AuthenticationError('Invalid email or password', 'invalid_credentials');
  }
  return db.transaction(async (trx) => {
    await writeAudit(trx, { actorId: user.id, action: 'user.logged_in', subjectType: 'user', subjectId: user.id, ip: props.ip });
    return issueSession(trx, settings, user);
  });
}
