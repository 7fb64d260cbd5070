import fs from 'node:fs';
import type { SandboxLimits } from '../types.ts';
import { GO_CACHE_DIR, SOURCE_DIR, type ProcessLanguage } from './languages.ts';

/** Descriptors the launcher hands bwrap (stdin, stdout, stderr come first): the source, the rlimits, bwrap's options, the command. */
export const SOURCE_FD = 3;
export const RLIMITS_FD = 4;
export const BWRAP_ARGS_FD = 5;
export const COMMAND_FD = 6;
/** Where the command script lands inside the sandbox, read-only. */
const COMMAND_FILE = '/tmp/.command';

/**
 * /etc files the runtimes read, bound one by one: the dynamic loader's cache (startup speed) and the time zone.
 * Nothing else of /etc — no passwd, no shadow, no resolv.conf, no hosts.
 */
const ETC_FILES = ['/etc/ld.so.cache', '/etc/localtime'].filter((file) => fs.existsSync(file));

/**
 * Pid 1 of the sandbox: a shell that runs the program as its child, reaps whatever is orphaned inside while it waits, and
 * exits with the program's status (128+n for signal n). It replaces bwrap's own init, which hands the status to the
 * outer bwrap through an eventfd before it exits, so the outer bwrap exits unreaped of it and every run left a zombie
 * bwrap to the host's init (measured: 20 in 20 runs; an init that does not reap — Node as a container's pid 1 — would
 * keep them). With --as-pid-1 the outer bwrap waits for this shell itself. The command is a script bound in read-only
 * on COMMAND_FD, so that this command line is the same for every run and a launcher can be spawned before the run is known.
 */
export const SANDBOX_INIT = ['/bin/sh', '-c', `. ${COMMAND_FILE}; exit $?`, 'sandbox-init'];

export interface BwrapOptions {
  language: ProcessLanguage;
  /** The run's limits; /tmp is fileBytes big. */
  limits: SandboxLimits;
  /** Host directory of the pre-warmed Go build cache, bound read-only; null when there is none. */
  goCacheDir: string | null;
  /** Bind the Go cache writable (only while warming it with our own program, never for a user's run). */
  isGoCacheWritable?: boolean;
}

/**
 * bwrap's options for one run (the command is SANDBOX_INIT, given by the launcher). The root is an empty tmpfs holding
 * only /usr (Debian 12 is merged-usr, so /bin, /lib, /lib64 and /sbin are symlinks into it) and a few /etc files —
 * never `--ro-bind / /`, which would show the project tree, DATA_DIR and secrets. Every namespace is unshared (no
 * network but a private loopback, own pid namespace whose death kills every process in it), the environment is cleared,
 * and the root and /dev are remounted read-only after setup so the only writable place is the size-capped /tmp.
 */
export function bwrapArgs(options: BwrapOptions): string[] {
  const { language } = options;
  // --disable-userns (which needs an explicit --unshare-user) stops the program making a nested user namespace and being
  // "root" in it: measured, without it `unshare -U -r id` printed uid=0 inside — much kernel attack surface sits behind that.
  const args = ['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session', '--clearenv'];
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8', ...language.env };
  for (const [name, value] of Object.entries(env)) args.push('--setenv', name, value);
  args.push('--ro-bind', '/usr', '/usr');
  // /usr/local is the host's own (here: CUDA, terraform, a docker client, config under /usr/local/etc); no runtime needs it.
  args.push('--tmpfs', '/usr/local', '--remount-ro', '/usr/local');
  for (const dir of ['bin', 'lib', 'lib64', 'sbin']) args.push('--symlink', `usr/${dir}`, `/${dir}`);
  for (const file of ETC_FILES) args.push('--ro-bind', file, file);
  args.push('--proc', '/proc', '--dev', '/dev', '--remount-ro', '/dev');
  args.push('--size', String(options.limits.fileBytes), '--tmpfs', '/tmp');
  if (language.language === 'go' && options.goCacheDir) {
    args.push(options.isGoCacheWritable ? '--bind' : '--ro-bind', options.goCacheDir, GO_CACHE_DIR);
  }
  args.push('--ro-bind-data', String(SOURCE_FD), `${SOURCE_DIR}/${language.sourceFile}`);
  args.push('--ro-bind-data', String(COMMAND_FD), COMMAND_FILE);
  args.push('--remount-ro', '/', '--chdir', '/tmp', '--as-pid-1');
  return args;
}
