import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { BackupFailedError } from './errors.ts';

/** A pg_dump or pg_restore run: its streams, and a promise that settles when it exits (rejecting unless it exited 0). */
export interface PgToolRun {
  child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** Resolves when the tool exited 0; rejects with BackupFailedError carrying the end of its stderr otherwise. */
  exited: Promise<void>;
}

/** Keeps the end of the tool's stderr for the error message; the whole of a verbose run's output is megabytes. */
const STDERR_TAIL_BYTES = 4096;

/**
 * Runs `tool` against `databaseUrl`. The password travels in PGPASSWORD, not on the command line, where every
 * user of the machine could read it in the process list; messages are in English so `onLine` can parse them.
 */
export function runPgTool(
  tool: 'pg_dump' | 'pg_restore',
  databaseUrl: string,
  args: string[],
  options: { onLine?: (line: string) => void; signal?: AbortSignal } = {},
): PgToolRun {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = '';
  const child = spawn(tool, [...args, '--no-password', `--dbname=${url.toString()}`], {
    stdio: ['pipe', 'pipe', 'pipe'],
    // eslint-disable-next-line n/no-process-env -- the tool inherits the environment (PATH, PGSSL*), plus the password and a fixed language
    env: { ...process.env, LC_MESSAGES: 'C', LANGUAGE: 'C', ...(password ? { PGPASSWORD: password } : {}) },
    signal: options.signal,
    killSignal: 'SIGTERM',
  });
  let tail = '';
  let partial = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    tail = (tail + text).slice(-STDERR_TAIL_BYTES);
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) options.onLine?.(line);
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (error) =>
      reject(new BackupFailedError(`${tool}_failed`, `${tool} could not run: ${error.message}`, { cause: error })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const errors = tail
        .split('\n')
        .filter((line) => /error|fatal/i.test(line))
        .slice(-3)
        .join('; ');
      reject(
        new BackupFailedError(
          `${tool}_failed`,
          `${tool} ${signal ? `was stopped by ${signal}` : `exited with ${code}`}: ${errors || tail.slice(-500)}`,
        ),
      );
    });
  });
  // The caller reports the failure through `exited` or its pipeline; this keeps an early exit from being unhandled.
  exited.catch(() => {});
  return { child, exited };
}

/** The URL of another database on the same server (same host, port, user, password, parameters). */
export function databaseUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}
