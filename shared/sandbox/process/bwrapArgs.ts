import fs from 'node:fs';
import { GO_CACHE_DIR } from './languages.ts';

/**
 * Descriptors of the launcher and bwrap: stdin (0) carries the run's script to the sandbox's pid-1 shell, then come
 * stdout and stderr, the program's stdin, and bwrap's options.
 */
export const PROGRAM_STDIN_FD = 3;
export const BWRAP_ARGS_FD = 4;

/** tmpfs allocates whole pages: a file of n bytes takes n rounded up to a page. */
const PAGE_BYTES = 4096;

/**
 * /etc files the runtimes read, bound one by one: the dynamic loader's cache (startup speed) and the time zone.
 * Nothing else of /etc — no passwd, no shadow, no resolv.conf, no hosts.
 */
const ETC_FILES = ['/etc/ld.so.cache', '/etc/localtime'].filter((file) => fs.existsSync(file));

/**
 * Pid 1 of the sandbox: a shell that waits, in a sandbox already set up, for the run's script on its stdin (runScript:
 * it writes the program into /tmp, exports the language's environment, sets the run's rlimits and runs the program as
 * its child, with PROGRAM_STDIN_FD as its stdin), reaps whatever is orphaned inside while it waits, and exits with the
 * program's status (128+n for signal n). Nothing about the run is needed to start it. (Node's stdio "pipes" are socket
 * pairs, which cannot be opened through /proc/self/fd, so the script is the shell's stdin rather than a file it sources.)
 * A stdin closed with nothing written is an empty script: the sandbox exits 0 (a discarded sandbox).
 * It replaces bwrap's own init, which hands the status to the outer bwrap through an eventfd before it exits, so the
 * outer bwrap exits unreaped of it and every run left a zombie bwrap to the host's init (measured: 20 in 20 runs; an init
 * that does not reap — Node as a container's pid 1 — would keep them). With --as-pid-1 the outer bwrap waits for this shell.
 */
export const SANDBOX_INIT = ['/bin/sh', '-s'];

/** What a sandbox is built with before its run is known; a run whose limits need another shape gets a sandbox of its own. */
export interface SandboxShape {
  /** The run's fileBytes: what the program may write to the private /tmp. */
  fileBytes: number;
  /** The largest program this sandbox takes, in bytes: /tmp holds it too, on top of fileBytes. */
  programBytes: number;
  /** Host directory of the pre-warmed Go build cache, bound read-only; null when there is none. */
  goCacheDir: string | null;
  /** Bind the Go cache writable (only while warming it with our own program, never for a user's run). */
  isGoCacheWritable?: boolean;
}

/**
 * bwrap's options for a sandbox (the command is SANDBOX_INIT, given by the launcher). Nothing in them depends on the
 * run but /tmp's size, so a sandbox is built ahead of its run. The root is an empty tmpfs holding only /usr (Debian 12
 * is merged-usr, so /bin, /lib, /lib64 and /sbin are symlinks into it) and a few /etc files — never `--ro-bind / /`,
 * which would show the project tree, DATA_DIR and secrets. Every namespace is unshared (no network but a private
 * loopback, own pid namespace whose death kills every process in it), the environment is cleared, and the root and
 * /dev are remounted read-only after setup so the only writable place is the size-capped /tmp. The Go cache is bound
 * read-only into every sandbox, whatever its language, since the language is not known yet.
 */
export function bwrapArgs(shape: SandboxShape): string[] {
  // --disable-userns (which needs an explicit --unshare-user) stops the program making a nested user namespace and being
  // "root" in it: measured, without it `unshare -U -r id` printed uid=0 inside — much kernel attack surface sits behind that.
  const args = ['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session', '--clearenv'];
  // The language's own variables are exported by the run's script.
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8' };
  for (const [name, value] of Object.entries(env)) args.push('--setenv', name, value);
  args.push('--ro-bind', '/usr', '/usr');
  // /usr/local is the host's own (here: CUDA, terraform, a docker client, config under /usr/local/etc); no runtime needs it.
  args.push('--tmpfs', '/usr/local', '--remount-ro', '/usr/local');
  for (const dir of ['bin', 'lib', 'lib64', 'sbin']) args.push('--symlink', `usr/${dir}`, `/${dir}`);
  for (const file of ETC_FILES) args.push('--ro-bind', file, file);
  args.push('--proc', '/proc', '--dev', '/dev', '--remount-ro', '/dev');
  // The program is written into /tmp once the run is handed over; it must not take the room the program is promised.
  args.push('--size', String(shape.fileBytes + Math.ceil(shape.programBytes / PAGE_BYTES) * PAGE_BYTES), '--tmpfs', '/tmp');
  if (shape.goCacheDir) args.push(shape.isGoCacheWritable ? '--bind' : '--ro-bind', shape.goCacheDir, GO_CACHE_DIR);
  args.push('--remount-ro', '/', '--chdir', '/tmp', '--as-pid-1');
  return args;
}
