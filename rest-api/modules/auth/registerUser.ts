import type { Knex } from 'knex';
import { writeAudit } from '@shared/audit.ts';
import { ConflictError } from '@shared/errors.ts';
import type { RegisterInput } from './auth.schemas.ts';
import { issueSession, type Session, type SessionSettings } from './issueSession.ts';
import { hashPassword } from './passwords.ts';
import { isUniqueViolation } from '@shared/db.ts';
import { findUserByEmail, insertUser } from './users.repo.ts';

interface Props extends RegisterInput {
  /** The caller's IP, for the audit log. */
  ip?: string;
}

/** Creates an account and signs it in. An email taken in any letter case is a 409. */
export async function registerUser(db: Knex, settings: SessionSettings, props: Props): Promise<Session> {
  if (await findUserByEmail(db, props.email)) throw emailTaken();
  const passwordHash = await hashPassword(props.password);
  try {
    return await db.transaction(async (trx) => {
      const user = await insertUser(trx, { email: props.email, name: props.name, password_hash: passwordHash });
      await writeAudit(trx, { actorId: user.id, action: 'user.registered', subjectType: 'user', subjectId: user.id, ip: props.ip });
      return issueSession(trx, settings, user);
    });
  } catch (error) {
    // Two registrations racing for one email: the unique index decides, the loser gets the same 409.
    if (isUniqueViolation(error)) throw emailTaken();
    throw error;
  }
}

const emailTaken = () => new ConflictError('An account with this email already exists', 'email_taken');
