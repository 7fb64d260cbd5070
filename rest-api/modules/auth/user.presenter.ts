import type { Session } from './issueSession.ts';
import type { UserRow } from './users.repo.ts';

/** The public face of a user: never the password hash. */
export function presentUser(user: UserRow) {
  return { id: user.id, email: user.email, name: user.name, createdAt: user.created_at.toISOString() };
}

/** A session as sign-up, sign-in and refresh answer it. */
export function presentSession(session: Session) {
  return {
    accessToken: session.accessToken,
    refreshToken: session.refreshToken,
    tokenType: 'Bearer' as const,
    expiresIn: session.expiresIn,
    user: presentUser(session.user),
  };
}
