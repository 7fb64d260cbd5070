import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { appendFile, chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
/** PostgreSQL 15's programs (pg_ctl, initdb, pg_basebackup…). */
export const BIN = '/usr/lib/postgresql/15/bin';
/** PostgreSQL refuses to run as root; the clusters run as the Debian package's user. */
const OS_USER = 'postgres';

/** A throwaway PostgreSQL 15 cluster on a free loopback port, in its own temp directory. */
export interface TestPgCluster {
  /** The temp directory holding everything of this cluster (its socket too); removed by close(). */
  baseDirectory: string;
  dataDirectory: string;
  socketDirectory: string;
  port: number;
  osUser: string;
  /** Starts PostgreSQL and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops PostgreSQL (fast shutdown: sessions are ended, a checkpoint is written). */
  stop(): Promise<void>;
  /** Runs one statement in its own session as `postgres` and returns the rows. */
  query<Row extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Waits until recovery has ended and the cluster takes writes (after a restore it promotes itself). */
  waitUntilWritable(timeoutMs?: number): Promise<void>;
  /** Kills PostgreSQL if it runs and deletes the directory; safe to call twice. */
  close(): Promise<void>;
}

const liveClusters = new Set<TestPgCluster>();

/** Lowest port of the kernel's ephemeral range (ip_local_port_range), where it picks clients' source ports. */
function lowestEphemeralPort(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
}
/** Ports below this one are left to services that may already run on the machine. */
const LOWEST_TEST_PORT = 10_000;

/**
 * A loopback port nobody listens on right now, for a server started after this returns (PostgreSQL, a
 * Redis of a scenario's own) or for one that plays a dead server. Taken below the kernel's ephemeral range,
 * never from it: a server a drill kills and starts again on its port (a primary, Redis) must find the port
 * still free, and a client reconnecting to it meanwhile must not be given it as its own source port —
 * from the ephemeral range both can happen, down to a client connected to itself (TCP simultaneous open).
 */
export async function freeLoopbackPort(): Promise<number> {
  const span = lowestEphemeralPort() - LOWEST_TEST_PORT;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST_TEST_PORT + randomInt(span);
    if (await isFreeOnLoopback(port)) return port;
  }
  throw new Error(`no free loopback port found between ${LOWEST_TEST_PORT} and the ephemeral range`);
}

function isFreeOnLoopback(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A temp directory the postgres user owns, under a parent it can traverse (PostgreSQL and pgBackRest run
 * as that user and must reach it; the test runs as root).
 */
export async function makePostgresOwnedTempDirectory(prefix: string): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), prefix));
  const { uid, gid } = postgresIds();
  await chown(directory, uid, gid);
  await chmod(directory, 0o700);
  return directory;
}

function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${OS_USER}:`));
  if (!line) throw new Error(`the tests need the OS user ${OS_USER} (Debian package postgresql)`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Runs a program as the postgres OS user (PostgreSQL refuses root), with PATH only. */
export function asPostgres(command: string, args: string[]) {
  return run('setpriv', [`--reuid=${OS_USER}`, `--regid=${OS_USER}`, '--init-groups', '--', command, ...args], {
    // eslint-disable-next-line n/no-process-env -- test harness: PATH only (archive_command finds pgbackrest on it)
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
}

/** The postmaster's pid from postmaster.pid, or null when it is not running. */
function postmasterPid(dataDirectory: string): number | null {
  try {
    return Number(readFileSync(path.join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
  } catch {
    return null;
  }
}

/** Last resort when a test dies mid-way: SIGKILL every postmaster we started and remove its directory. */
function killAllSync(): void {
  for (const cluster of liveClusters) {
    const pid = postmasterPid(cluster.dataDirectory);
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(cluster.baseDirectory, { recursive: true, force: true });
  }
}
process.once('exit', killAllSync);

export interface TestPgClusterOptions {
  /** false: an empty data directory to restore into (start() it afterwards). Default true: initdb. */
  isInitialized?: boolean;
}

/** Creates a cluster (initdb as postgres, not yet started) on a free port. */
export async function createTestPgCluster(options: TestPgClusterOptions = {}): Promise<TestPgCluster> {
  const baseDirectory = await makePostgresOwnedTempDirectory('twinmcp-pg-');
  // Parents of the base directory are root's; the temp root is world-traversable (o+x), which is all postgres needs.
  const dataDirectory = path.join(baseDirectory, 'data');
  const port = await freeLoopbackPort();
  const log = path.join(baseDirectory, 'postgres.log');
  const cluster: TestPgCluster = {
    baseDirectory,
    dataDirectory,
    socketDirectory: baseDirectory,
    port,
    osUser: OS_USER,
    async start() {
      // Given on the command line, they win over a restored postgresql.conf that names the original's port.
      const settings = `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${baseDirectory}`;
      try {
        await asPostgres(`${BIN}/pg_ctl`, ['-D', dataDirectory, '-l', log, '-w', '-t', '120', '-o', settings, 'start']);
      } catch (error) {
        const tail = await readFile(log, 'utf8').catch(() => '');
        throw new Error(`PostgreSQL did not start on port ${port}: ${(error as Error).message}\n${tail.slice(-2000)}`, { cause: error });
      }
    },
    async stop() {
      await asPostgres(`${BIN}/pg_ctl`, ['-D', dataDirectory, '-w', '-t', '60', '-m', 'fast', 'stop']);
    },
    async query<Row extends object>(sql: string, params: unknown[] = []) {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        return (await client.query<Row>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    async waitUntilWritable(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const isWritable = await cluster
          .query<{ recovering: boolean }>('select pg_is_in_recovery() as recovering')
          .then(([row]) => row?.recovering === false)
          .catch(() => false);
        if (isWritable) return;
        if (Date.now() > deadline) throw new Error(`cluster on port ${port} still recovering after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async close() {
      if (!liveClusters.delete(cluster)) return;
      const pid = postmasterPid(dataDirectory);
      if (pid) {
        await asPostgres(`${BIN}/pg_ctl`, ['-D', dataDirectory, '-w', '-t', '10', '-m', 'immediate', 'stop']).catch(() => {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        });
      }
      await rm(baseDirectory, { recursive: true, force: true });
    },
  };
  liveClusters.add(cluster);
  if (options.isInitialized === false) return cluster;
  try {
    // --no-sync: a throwaway cluster need not survive a power cut, and initdb's fsyncs cost seconds here.
    await asPostgres(`${BIN}/initdb`, ['-D', dataDirectory, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    // Small and quick: tests copy the whole cluster, and a fast checkpoint keeps backups short.
    await appendFile(path.join(dataDirectory, 'postgresql.conf'), '\nshared_buffers = 16MB\nmax_connections = 20\nmax_wal_size = 64MB\n');
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

/** Closes every cluster this test file created and did not close yet (afterAll's safety net). */
export async function closeAllTestPgClusters(): Promise<void> {
  await Promise.all([...liveClusters].map((cluster) => cluster.close()));
}

/** A started primary and a streaming standby of it (pg_basebackup -R), each a TestPgCluster. */
export async function createTestReplicatedPair(): Promise<{ primary: TestPgCluster; standby: TestPgCluster }> {
  const primary = await createTestPgCluster();
  await primary.start();
  const standby = await createTestPgCluster({ isInitialized: false });
  await asPostgres(`${BIN}/pg_basebackup`, [
    ...['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', standby.dataDirectory],
    ...['-R', '-X', 'stream', '-c', 'fast', '--no-sync'],
  ]);
  await standby.start();
  return { primary, standby };
}
