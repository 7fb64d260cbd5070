import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { classifyPgBackRestFailure } from './classifyPgBackRestFailure.ts';
import { commandAsUser } from './osUser.ts';
import type { PhysicalBackupSetup } from './PhysicalBackupSetup.ts';

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
export function runPgBackRest(setup: PhysicalBackupSetup, command: string, args: string[] = [], options: RunOptions = {}): Promise<string> {
  const fullArgs = [
    `--config=${setup.configPath}`,
    `--stanza=${setup.stanza}`,
    `--log-level-console=${options.consoleLevel ?? 'warn'}`,
    command,
    ...args,
  ];
  const { file, args: argv } = commandAsUser(setup.osUser, 'pgbackrest', fullArgs);
  // eslint-disable-next-line n/no-process-env -- PATH only, so pgbackrest and setpriv are found
  const child = spawn(file, argv, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    stdout += `${line}\n`;
    options.onLine?.(line);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => {
      if (exitCode === 0) resolve(stdout);
      else reject(classifyPgBackRestFailure(command, exitCode ?? -1, `${stderr}\n${stdout}`));
    });
  });
}
