import { readFileSync } from 'node:fs';

/** The uid and gid of a local OS user, read from /etc/passwd (no NSS module needed for local accounts). */
export function osUserIds(user: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${user}:`));
  if (!line) throw new Error(`OS user ${user} does not exist on this host`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * The command line that runs `command` as `user`: PostgreSQL refuses to run as root, and pgBackRest must
 * write files the postgres user can read back (its archive_command runs as that user). When we already
 * are that user, nothing is wrapped.
 */
export function commandAsUser(user: string, command: string, args: string[]): { file: string; args: string[] } {
  const { uid } = osUserIds(user);
  if (process.getuid?.() === uid) return { file: command, args };
  // setpriv execs directly (no PAM session, no login shell) and resets groups to the user's own.
  return { file: 'setpriv', args: [`--reuid=${user}`, `--regid=${user}`, '--init-groups', '--', command, ...args] };
}
