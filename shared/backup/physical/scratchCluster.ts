import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { PhysicalBackupProgress } from './backupCommands.ts';
import { commandAsUser, osUserIds } from './osUser.ts';
import { restoreBackup, type RestoreTarget } from './restoreBackup.ts';
import type { PhysicalBackup } from './readBackupInfo.ts';
import type { PgBackRestStanza } from './PhysicalBackupSetup.ts';

const run = promisify(execFile);

export interface ScratchClusterOptions {
  target: RestoreTarget;
  /** Pins the backup recovery starts from (see RestoreOptions.backupLabel). */
  backupLabel?: string;
  /** PostgreSQL's server binaries (pg_ctl) of the cluster's major version. */
  pgBinDirectory: string;
  /** A directory the OS user can traverse, with room for a copy of the cluster; a new one is made inside it. */
  scratchDirectory?: string;
  onProgress?: (progress: PhysicalBackupProgress) => void;
  /** Longest wait for recovery to reach the target and promote. Default 10 min. */
  recoveryTimeoutMs?: number;
}

/** A restored cluster, running on a private Unix socket only (no TCP), ready for queries. */
export interface ScratchCluster {
  /** The directory holding the data directory, the socket and the log. */
  baseDirectory: string;
  dataDirectory: string;
  /** The backup recovery started from. */
  backup: PhysicalBackup;
  /** A libpq/node-postgres URL of `database` on it, over its socket, as `postgres` (for pg_dump). */
  connectionUrl(database: string): string;
  /** Runs `work` with a client connected to `database` as `postgres`. */
  withClient<T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T>;
  /** Stops it (fast shutdown); the files stay, to start again with pg_ctl. */
  stop(): Promise<void>;
  /** Stops it if it runs and deletes every file. */
  remove(): Promise<void>;
}

/** Its port names the socket file only: the socket lives in the scratch cluster's own directory. */
const SCRATCH_PORT = 5432;

/**
 * Restores a backup into a new scratch cluster and starts it: recovery replays archived WAL to the target, then the
 * cluster promotes itself. It listens on a Unix socket in its own 0700 directory only, with its own pg_hba.conf
 * trusting local connections (the restored one may ask for peer or passwords this process cannot give); archiving
 * is off (restoreBackup), so it never writes into the repository.
 */
export async function startScratchCluster(setup: PgBackRestStanza, options: ScratchClusterOptions): Promise<ScratchCluster> {
  const { uid, gid } = osUserIds(setup.osUser);
  const baseDirectory = await mkdtemp(path.join(options.scratchDirectory ?? os.tmpdir(), 'twinmcp-pitr-'));
  await chown(baseDirectory, uid, gid);
  await chmod(baseDirectory, 0o700);
  const dataDirectory = path.join(baseDirectory, 'data');
  const hbaFile = path.join(baseDirectory, 'pg_hba.conf');
  const logFile = path.join(baseDirectory, 'postgres.log');
  const pgCtl = (args: string[]) => {
    const command = commandAsUser(setup.osUser, path.join(options.pgBinDirectory, 'pg_ctl'), args);
    // eslint-disable-next-line n/no-process-env -- PATH only, as for pgBackRest
    return run(command.file, command.args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  };
  let isRunning = false;
  const stop = async () => {
    if (!isRunning) return;
    await pgCtl(['-D', dataDirectory, '-w', '-t', '60', '-m', 'fast', 'stop']);
    isRunning = false;
  };
  const remove = async () => {
    await stop().catch(() => pgCtl(['-D', dataDirectory, '-w', '-t', '10', '-m', 'immediate', 'stop']).catch(() => undefined));
    await rm(baseDirectory, { recursive: true, force: true });
  };
  const withClient = async <T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ host: baseDirectory, port: SCRATCH_PORT, user: 'postgres', database });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  try {
    const backup = await restoreBackup(setup, {
      target: options.target,
      backupLabel: options.backupLabel,
      destination: { dataDirectory },
      onProgress: options.onProgress,
    });
    await writeFile(hbaFile, 'local all all trust\n', { mode: 0o600 });
    await chown(hbaFile, uid, gid);
    const settings = [
      `-c port=${SCRATCH_PORT}`,
      "-c listen_addresses=''",
      `-c unix_socket_directories=${baseDirectory}`,
      `-c hba_file=${hbaFile}`,
      // A scratch copy is thrown away: no need to survive a power cut while it recovers.
      '-c fsync=off',
    ].join(' ');
    try {
      isRunning = true;
      await pgCtl(['-D', dataDirectory, '-l', logFile, '-w', '-t', '600', '-o', settings, 'start']);
    } catch (error) {
      const tail = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`The restored cluster did not start: ${tail.slice(-1500) || (error as Error).message}`, { cause: error });
    }
    await waitUntilPromoted(withClient, options.recoveryTimeoutMs ?? 600_000);
    const connectionUrl = (database: string) =>
      `postgresql://postgres@localhost:${SCRATCH_PORT}/${encodeURIComponent(database)}?host=${encodeURIComponent(baseDirectory)}`;
    return { baseDirectory, dataDirectory, backup, connectionUrl, withClient, stop, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Waits until recovery has ended and the cluster takes writes. */
async function waitUntilPromoted(withClient: ScratchCluster['withClient'], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const isPromoted = await withClient('postgres', async (client) => {
      const { rows } = await client.query<{ recovering: boolean }>('select pg_is_in_recovery() as recovering');
      return rows[0]?.recovering === false;
    }).catch(() => false);
    if (isPromoted) return;
    if (Date.now() > deadline) throw new Error(`The restored cluster was still recovering after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
