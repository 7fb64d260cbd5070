import type { Knex } from 'knex';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  /** When every session of the user was last ended. */
  sessions_revoked_at: Date | null;
  /** How many times every session was ended; access tokens carry it, older ones are refused. */
  session_generation: number;
  created_at: Date;
  updated_at: Date;
}

/** Case-insensitive lookup, served by the unique index on lower(email). */
export function findUserByEmail(db: Knex, email: string): Promise<UserRow | undefined> {
  return db<UserRow>('users').whereRaw('lower(email) = lower(?)', [email]).first();
}

export function findUserById(db: Knex, id: string): Promise<UserRow | undefined> {
  return db<UserRow>('users').where({ id }).first();
}

/** Ends every session of the user as of now (the database's clock): a new generation; returns it and that moment. */
export async function markSessionsRevoked(db: Knex, id: string): Promise<{ generation: number; at: Date }> {
  const [row] = await db<UserRow>('users')
    .where({ id })
    .update({
      sessions_revoked_at: db.fn.now() as unknown as Date,
      session_generation: db.raw('session_generation + 1') as unknown as number,
    })
    .returning(['sessions_revoked_at', 'session_generation']);
  return { generation: row!.session_generation, at: row!.sessions_revoked_at! };
}

export async function insertUser(db: Knex, user: Pick<UserRow, 'email' | 'name' | 'password_hash'>): Promise<UserRow> {
  const [row] = await db<UserRow>('users').insert(user).returning('*');
  return row!;
}
