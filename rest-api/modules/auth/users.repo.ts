import type { Knex } from 'knex';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
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

export async function insertUser(db: Knex, user: Pick<UserRow, 'email' | 'name' | 'password_hash'>): Promise<UserRow> {
  const [row] = await db<UserRow>('users').insert(user).returning('*');
  return row!;
}

/** True for PostgreSQL's unique-violation error (23505). */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23505';
}
