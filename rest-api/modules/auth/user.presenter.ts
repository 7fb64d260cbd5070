import type { UserRow } from './users.repo.ts';

/** The public face of a user: never the password hash. */
export function presentUser(user: UserRow) {
  return { id: user.id, email: user.email, name: user.name, createdAt: user.created_at.toISOString() };
}
