import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { classifyPgBackRestFailure } from './classifyPgBackRestFailure.ts';
import { commandAsUser } from './osUser.ts';
import type { PgBackRestStanza } from './PhysicalBackupSetup.ts';

export interface RunOptions {
  /** pgBackRest's console log level: `detail` adds one line per file copied (with the percentage done). */
  consoleLevel?: 'warn' | 'info' | 'detail';
  /** Called with every line pgBackRest prints, as it prints it. */
  onLine?: (line: string) => void;
}

/**
 * Runs one pgBackRest command for the setup's stanza, as the cluster's OS user, and resolves with its
 * stdout. The environment is PATH only: a stray PGBACKREST_* variable in ours must not change which
 * repository or passphrase is used, and secrets stay in the 0600 config, never on a command line.
 * A non-zero exit rejects with a PhysicalBackupError (see classifyPgBackRestFailure).
 */
export function runPgBackRest(setup: PgBackRestStanza, command: string, args: string[] = [], options: RunOptions = {}): Promise<string> {
  const fullArgs = [
    `--config=${setup.configPath}`,
    `--stanza=${setup.stanza}`,
    `--log-level-console=${options.consoleLevel ?? 'warn'}`,
    command,
    ...args,
  ];
  const { file, args: argv } = commandAsUser(setup.osUser, 'pgbackrest', fullArgs);
  const child = spawn(file, argv, {
    // eslint-disable-next-line n/no-process-env -- PATH only, so pgbackrest and setpriv are found
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so ending a lingering run also ends the local workers it forked.
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (exitCode: number | null) => {
      if (settled) return;
      settled = true;
      if (exitCode === 0) resolve(stdout);
      else reject(classifyPgBackRestFailure(command, exitCode ?? -1, `${stderr}\n${stdout}`));
    };
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      stdout += `${line}\n`;
      options.onLine?.(line);
      // After a backup aborted on a lost repository, pgBackRest 2.45 logged its end and released its lock,
      // then took another 60 s to exit (measured). Its verdict is final at this line: report it now and end
      // the lingering processes, so a caller can retry at once.
      const aborted = /INFO: [\w-]+ command end: aborted with exception \[(\d+)\]/.exec(line);
      if (aborted) {
        settle(Number(aborted[1]));
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
    });
    child.once('error', reject);
    // 'close' waits for every holder of the output pipes. After an aborted backup pgBackRest's local worker
    // (which inherited them) went on retrying for a minute after the command had exited and said why: so
    // settle on 'exit', giving the pipes a moment to drain what was already written.
    child.once('exit', (exitCode) => {
      const drained = setTimeout(() => settle(exitCode), 2000);
      child.once('close', () => {
        clearTimeout(drained);
        settle(exitCode);
      });
    });
  });
}
