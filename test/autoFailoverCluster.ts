import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { BIN, freeLoopbackPort, makePostgresOwnedTempDirectory } from './pgCluster.ts';

const run = promisify(execFile);
const OS_USER = 'postgres';
/** The database the data nodes serve (pg_autoctl creates it on the first node). */
export const AUTO_FAILOVER_DATABASE = 'appdb';

/**
 * The monitor's side of "set C": set B of shared/notes/failover-pg_auto_failover.md (a 4–6 s hard-kill
 * failover on this machine instead of ~53 s) with its two waits shortened — the health check's retry
 * comes 100 ms after a failed check rather than 500 ms (1 is the fewest retries the monitor accepts), and
 * a promoted standby waits 1 s rather than 2 s for a demotion the old primary cannot confirm; a lost
 * region's failover fell from 7.1–10.2 s to 6.0–6.8 s. Each is reloadable; the defaults are in the note.
 */
const MONITOR_SETTINGS: Record<string, string> = {
  'pgautofailover.health_check_period': '1000',
  'pgautofailover.health_check_timeout': '1000',
  'pgautofailover.health_check_max_retries': '1',
  'pgautofailover.health_check_retry_delay': '100',
  'pgautofailover.node_considered_unhealthy_timeout': '2000',
  'pgautofailover.primary_demote_timeout': '1000',
};
/** The data nodes' side of set C (as set B): a cut-off primary stops itself after 2 s; dead replication links drop after 2 s. */
const KEEPER_NETWORK_PARTITION_TIMEOUT_S = '2';
const WAL_SENDER_TIMEOUT = '2s';
/**
 * How each keeper reaches the monitor (libpq parameters of its monitor URI): a connection attempt gives
 * up after 2 s (libpq's least connect_timeout), and a query on a link that went dark fails once its bytes
 * go unacknowledged for 1 s. Without them a cut-off primary's keeper first failed to reach the monitor
 * 5-8 s after the cut (a query in flight waited on TCP retransmissions), and so counted itself partitioned
 * — and stopped its PostgreSQL — only 12+ s after it; with them, ~5 s.
 */
const KEEPER_MONITOR_LINK = 'connect_timeout=2&tcp_user_timeout=1000';

/** One pg_auto_failover data node (keeper + PostgreSQL). */
export interface AutoFailoverNode {
  name: string;
  /** The address it listens on and the others reach it at: 127.0.0.1, or its region's address. */
  host: string;
  port: number;
  dataDirectory: string;
  /** The network namespace its pg_autoctl (and so its PostgreSQL) runs in; none on loopback. */
  namespace?: string;
}

/**
 * Where a formation's parts run when they must not share one loopback (ops/chaos/regions): the monitor
 * on an address every node can reach, and each data node on its own address inside its own network
 * namespace, so that cutting the namespace's link cuts the node off as losing its host's network would.
 */
export interface AutoFailoverPlacement {
  /** The monitor's address, in the test's own namespace (a bridge address every region reaches). */
  monitorHost: string;
  /** One entry per data node (at least two), in order: node1, node2… */
  nodes: Array<{ host: string; namespace: string }>;
}

export interface AutoFailoverOptions {
  /** Default: the monitor and two data nodes on 127.0.0.1, in the test's namespace. */
  placement?: AutoFailoverPlacement;
  /**
   * The formation's number_sync_standbys (pg_auto_failover's default 0: with one standby it is still
   * synchronous, but losing it lets the primary write alone in wait_primary). 1 needs three data nodes:
   * a commit then waits for one of two standbys, and losing one of them changes nothing for writers.
   */
  numberSyncStandbys?: number;
  /**
   * The data nodes' wal_sender_timeout (set C: 2s). A cut-off primary's keeper only counts itself
   * partitioned once it has seen a standby while the monitor was already gone (pg_auto_failover's
   * is_network_healthy records standby contact nowhere else): if dead replication links drop before
   * its first failed monitor round, it never fences itself. Longer than that round, it does (regions: 4s).
   */
  walSenderTimeout?: string;
  /**
   * The monitor's primary_demote_timeout in ms (set C: 1000): how long a promoted standby stays read-only
   * when the old primary cannot confirm its demotion. Only a value above the time a cut-off primary's
   * keeper takes to stop its PostgreSQL orders that fence before the promotion.
   */
  primaryDemoteTimeoutMs?: number;
}

/** A node's row in the monitor: what it reports and what the monitor wants it to become. */
export interface NodeState {
  name: string;
  port: number;
  reportedState: string;
  goalState: string;
}

/**
 * What a node answered when asked directly, or 'down' when it did not. `stranded`: out of recovery and
 * not read-only, but it names synchronous standbys and fewer of them stream from it than a commit waits
 * for — every commit there waits, unacknowledged, until its keeper stops it (a primary thawed after its
 * standby was promoted, or one cut off from its standbys). It takes no write anyone is told of, so it
 * is no second primary; the drills count it apart.
 */
export type NodeRole = 'writable' | 'stranded' | 'read_only' | 'standby' | 'down';

/** How many synchronous standbys a commit waits for under `synchronous_standby_names` (0 when it names none). */
export function requiredSyncStandbys(names: string): number {
  if (names.trim() === '') return 0;
  const counted = /^\s*(?:ANY|FIRST)?\s*(\d+)\s*\(/i.exec(names);
  return counted ? Number(counted[1]) : 1;
}

/** A monitor and two (or, placed, more) data nodes on free ports, in one temp directory, tuned to fail over fast. */
export interface AutoFailoverCluster {
  baseDirectory: string;
  monitorHost: string;
  monitorPort: number;
  nodes: [AutoFailoverNode, AutoFailoverNode, ...AutoFailoverNode[]];
  /** `postgres://postgres@127.0.0.1:p1,127.0.0.1:p2/appdb?target_session_attrs=read-write`: what the product is given. */
  databaseUrl: string;
  /** How long create() took, in ms, from nothing to a primary with a synchronous secondary. */
  startupMs: number;
  /** Where startupMs went: monitor up, node1 primary with the others its secondaries, set C applied on the nodes. */
  startupPhasesMs: { monitor: number; nodes: number; tuning: number };
  /** Every node's state as the monitor has it. */
  states(): Promise<NodeState[]>;
  /** Waits until the monitor reports these states (by node name), e.g. { node1: 'primary', node2: 'secondary' }. */
  waitForStates(expected: Record<string, string>, timeoutMs?: number): Promise<void>;
  /** The node the monitor reports as primary (or wait_primary), if any. */
  primary(): Promise<AutoFailoverNode | undefined>;
  /** Asks a node directly, on a fresh connection, whether it takes writes. */
  role(node: AutoFailoverNode): Promise<NodeRole>;
  /** Whole-node loss: SIGKILL to its keeper, the keeper's children, the postmaster and the postmaster's children at once. */
  hardKill(node: AutoFailoverNode): Promise<void>;
  /** A hung host: SIGSTOP to the same processes as hardKill; thaw() resumes them. */
  freeze(node: AutoFailoverNode): Promise<void>;
  /** Resumes a frozen node: its keeper learns of the failover and demotes it to a standby. */
  thaw(node: AutoFailoverNode): Promise<void>;
  /** Starts a killed node's keeper again; it rejoins as a standby by itself (demote, pg_rewind, catch up). */
  restart(node: AutoFailoverNode): Promise<void>;
  /** Runs one statement on a node as postgres in the app database. */
  query<Row extends object = Record<string, unknown>>(node: AutoFailoverNode, sql: string): Promise<Row[]>;
  /** The monitor's event log, oldest first, since `since` (ms epoch). */
  events(since?: number): Promise<Array<{ at: Date; node: string; reportedState: string; goalState: string; description: string }>>;
  /** Kills every process of the cluster and removes its directory; safe to call twice, and after failures. */
  close(): Promise<void>;
}

/** Processes we started, per cluster directory: close() and the exit hook kill them. */
const liveClusters = new Map<string, { supervisors: Set<ChildProcess>; dataDirectories: string[] }>();

/** The pids of `pid`'s children, grandchildren… (from /proc, as a test harness may). */
function descendantsOf(pid: number): number[] {
  let children: number[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendantsOf(child)]);
}

function postmasterPid(dataDirectory: string): number | null {
  try {
    return Number(readFileSync(path.join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
  } catch {
    return null;
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

function killQuietly(pid: number): void {
  signalQuietly(pid, 'SIGKILL');
}

/** Everything a node (or the monitor) runs: its keeper tree and its postmaster tree. */
function processTree(supervisor: ChildProcess | undefined, dataDirectory: string): number[] {
  const pids: number[] = [];
  if (supervisor?.pid && supervisor.exitCode === null && supervisor.signalCode === null)
    pids.push(supervisor.pid, ...descendantsOf(supervisor.pid));
  const postmaster = postmasterPid(dataDirectory);
  if (postmaster) pids.push(postmaster, ...descendantsOf(postmaster));
  return [...new Set(pids)];
}

function killAllSync(): void {
  for (const [baseDirectory, cluster] of liveClusters) {
    for (const supervisor of cluster.supervisors) if (supervisor.pid) killQuietly(supervisor.pid);
    for (const dataDirectory of cluster.dataDirectories) {
      const postmaster = postmasterPid(dataDirectory);
      if (postmaster) killQuietly(postmaster);
    }
    rmSync(baseDirectory, { recursive: true, force: true });
  }
}
process.once('exit', killAllSync);

/**
 * Builds a pg_auto_failover formation: a monitor and two data nodes (node1 primary, node2 its synchronous
 * secondary), tuned with set C. Every pg_autoctl runs as postgres, with its config and state kept under
 * the temp directory (XDG_*), so nothing is left in the postgres user's home.
 */
export async function createAutoFailoverCluster(options: AutoFailoverOptions = {}): Promise<AutoFailoverCluster> {
  const startedAt = performance.now();
  const placement = options.placement ?? {
    monitorHost: '127.0.0.1',
    nodes: [{ host: '127.0.0.1' }, { host: '127.0.0.1' }] as Array<{ host: string; namespace?: string }>,
  };
  if (placement.nodes.length < 2) throw new Error('a formation needs at least two data nodes');
  const baseDirectory = await makePostgresOwnedTempDirectory('twinmcp-paf-');
  // Distinct ports even on distinct addresses: every node's Unix socket lives in the one shared file system.
  const [monitorPort, ...ports] = await Promise.all([freeLoopbackPort(), ...placement.nodes.map(() => freeLoopbackPort())]);
  const monitorHost = placement.monitorHost;
  const monitorData = path.join(baseDirectory, 'monitor');
  const nodes = placement.nodes.map((where, index) => ({
    name: `node${index + 1}`,
    host: where.host,
    port: ports[index]!,
    dataDirectory: path.join(baseDirectory, `node${index + 1}`),
    ...(where.namespace ? { namespace: where.namespace } : {}),
  })) as AutoFailoverCluster['nodes'];
  const supervisors = new Set<ChildProcess>();
  const supervisorOf = new Map<string, ChildProcess>();
  /** Pids stopped by freeze(), by node name. */
  const frozen = new Map<string, number[]>();
  liveClusters.set(baseDirectory, { supervisors, dataDirectories: [monitorData, ...nodes.map((node) => node.dataDirectory)] });
  const env = {
    PATH: `${BIN}:/usr/bin:/bin`,
    HOME: baseDirectory,
    XDG_CONFIG_HOME: path.join(baseDirectory, 'xdg', 'config'),
    XDG_DATA_HOME: path.join(baseDirectory, 'xdg', 'data'),
    XDG_RUNTIME_DIR: path.join(baseDirectory, 'xdg', 'run'),
  };
  const asPostgresWithXdg = (args: string[]) =>
    run('setpriv', [`--reuid=${OS_USER}`, `--regid=${OS_USER}`, '--init-groups', '--', 'pg_autoctl', ...args], { env });
  /**
   * Starts a long-running pg_autoctl as postgres, inside `namespace` when given (`ip netns exec` execs in
   * place, so the child's pid is pg_autoctl's own); its output goes to <name>.log in the cluster directory.
   */
  const startSupervisor = (name: string, args: string[], namespace?: string) => {
    const log = openSync(path.join(baseDirectory, `${name}.log`), 'a');
    const asPostgres = ['setpriv', `--reuid=${OS_USER}`, `--regid=${OS_USER}`, '--init-groups', '--', 'pg_autoctl', ...args];
    const command = namespace ? ['ip', 'netns', 'exec', namespace, ...asPostgres] : asPostgres;
    const child = spawn(command[0]!, command.slice(1), {
      env,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    child.on('error', () => {});
    supervisors.add(child);
    supervisorOf.set(name, child);
    return child;
  };
  /** Fails the wait at once when a supervisor gave up (bad option, port taken) instead of at its deadline. */
  const assertRunning = (name: string) => {
    const child = supervisorOf.get(name);
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new SupervisorExited(name);
  };
  // Placed, the monitor lets only autoctl_node in from the network (pg_autoctl's own rule for the LAN):
  // the test, a superuser, comes in over the monitor's Unix socket as an operator on its host would.
  const monitorSocketOrHost = options.placement ? '/var/run/postgresql' : '127.0.0.1';
  const monitorClient = () =>
    new pg.Client({
      host: monitorSocketOrHost,
      port: monitorPort,
      user: 'postgres',
      database: 'pg_auto_failover',
      connectionTimeoutMillis: 2_000,
    });
  const nodeClient = (node: AutoFailoverNode) =>
    new pg.Client({
      host: node.host,
      port: node.port,
      user: 'postgres',
      database: AUTO_FAILOVER_DATABASE,
      connectionTimeoutMillis: 1_000,
      query_timeout: 2_000,
    });
  const queryOn = async <Row extends object>(client: pg.Client, sql: string): Promise<Row[]> => {
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query<Row>(sql)).rows;
    } finally {
      await client.end().catch(() => {});
    }
  };
  const logTail = async (name: string) => (await readFile(path.join(baseDirectory, `${name}.log`), 'utf8').catch(() => '')).slice(-3000);

  const cluster: AutoFailoverCluster = {
    baseDirectory,
    monitorHost,
    monitorPort,
    nodes,
    databaseUrl: `postgres://postgres@${nodes.map((node) => `${node.host}:${node.port}`).join(',')}/${AUTO_FAILOVER_DATABASE}?target_session_attrs=read-write`,
    startupMs: 0,
    startupPhasesMs: { monitor: 0, nodes: 0, tuning: 0 },
    async states() {
      const rows = await queryOn<{ name: string; port: number; reported: string; goal: string }>(
        monitorClient(),
        `select nodename as name, nodeport as port, reportedstate::text as reported, goalstate::text as goal
           from pgautofailover.node order by nodeid`,
      );
      return rows.map((row) => ({ name: row.name, port: row.port, reportedState: row.reported, goalState: row.goal }));
    },
    async waitForStates(expected, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last: NodeState[] = [];
      for (;;) {
        last = await cluster.states().catch(() => last);
        const reached = Object.entries(expected).every(([name, state]) =>
          last.some((node) => node.name === name && node.reportedState === state && node.goalState === state),
        );
        if (reached) return;
        if (Date.now() > deadline)
          throw new Error(`states ${JSON.stringify(expected)} not reached in ${timeoutMs} ms; monitor has ${JSON.stringify(last)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async primary() {
      const states = await cluster.states();
      const primary = states.find((state) => ['primary', 'wait_primary', 'single'].includes(state.reportedState));
      return nodes.find((node) => node.name === primary?.name);
    },
    async role(node) {
      try {
        const [row] = await queryOn<{ in_recovery: boolean; read_only: string; sync_names: string; sync_streaming: number }>(
          nodeClient(node),
          `select pg_is_in_recovery() as in_recovery, current_setting('transaction_read_only') as read_only,
                  current_setting('synchronous_standby_names') as sync_names,
                  (select count(*)::int from pg_stat_replication
                    where state = 'streaming' and sync_state in ('sync', 'quorum')) as sync_streaming`,
        );
        if (!row) return 'down';
        if (row.in_recovery) return 'standby';
        if (row.read_only === 'on') return 'read_only';
        return row.sync_streaming < requiredSyncStandbys(row.sync_names) ? 'stranded' : 'writable';
      } catch {
        return 'down';
      }
    },
    async hardKill(node) {
      const pids = processTree(supervisorOf.get(node.name), node.dataDirectory);
      for (const pid of pids) killQuietly(pid);
    },
    async freeze(node) {
      frozen.set(node.name, processTree(supervisorOf.get(node.name), node.dataDirectory));
      for (const pid of frozen.get(node.name)!) signalQuietly(pid, 'SIGSTOP');
    },
    async thaw(node) {
      for (const pid of frozen.get(node.name) ?? []) signalQuietly(pid, 'SIGCONT');
      frozen.delete(node.name);
    },
    async restart(node) {
      startSupervisor(node.name, ['run', '--pgdata', node.dataDirectory], node.namespace);
    },
    async query(node, sql) {
      return queryOn(nodeClient(node), sql);
    },
    async events(since = 0) {
      const rows = await queryOn<{ at: Date; node: string; reported: string; goal: string; description: string }>(
        monitorClient(),
        `select eventtime as at, nodename as node, reportedstate::text as reported, goalstate::text as goal, description
           from pgautofailover.event where eventtime >= to_timestamp(${since / 1000}) order by eventid`,
      );
      return rows.map((row) => ({
        at: row.at,
        node: row.node,
        reportedState: row.reported,
        goalState: row.goal,
        description: row.description,
      }));
    },
    async close() {
      if (!liveClusters.delete(baseDirectory)) return;
      for (const directory of [...nodes.map((node) => node.dataDirectory), monitorData]) {
        const supervisor = supervisorOf.get(directory === monitorData ? 'monitor' : nodes.find((n) => n.dataDirectory === directory)!.name);
        for (const pid of processTree(supervisor, directory)) killQuietly(pid);
      }
      // Supervisors that were restarted are no longer in supervisorOf's latest entry.
      for (const supervisor of supervisors) if (supervisor.pid) killQuietly(supervisor.pid);
      await rm(baseDirectory, { recursive: true, force: true });
    },
  };

  try {
    await Promise.all(
      Object.values(env)
        .filter((dir) => dir.startsWith(baseDirectory))
        .map((dir) => mkdir(dir, { recursive: true })),
    );
    await run('chown', ['-R', `${OS_USER}:${OS_USER}`, path.join(baseDirectory, 'xdg')]);
    const common = ['--auth', 'trust', '--no-ssl', '--pgctl', `${BIN}/pg_ctl`];
    const listenOn = (host: string) => ['--hostname', host, '--listen', host];
    startSupervisor('monitor', [
      ...['create', 'monitor', '--pgdata', monitorData, '--pgport', String(monitorPort)],
      ...listenOn(monitorHost),
      ...common,
      '--run',
    ]);
    await waitFor(
      async () => {
        assertRunning('monitor');
        const rows = await queryOn<{ version: string }>(
          monitorClient(),
          "select extversion as version from pg_extension where extname = 'pgautofailover'",
        );
        return rows.length > 0;
      },
      60_000,
      async () => `monitor did not start:\n${await logTail('monitor')}`,
    );
    // ALTER SYSTEM refuses to run in a multi-statement string (an implicit transaction): one at a time.
    const monitorSettings = {
      ...MONITOR_SETTINGS,
      ...(options.primaryDemoteTimeoutMs ? { 'pgautofailover.primary_demote_timeout': String(options.primaryDemoteTimeoutMs) } : {}),
    };
    for (const [name, value] of Object.entries(monitorSettings)) await queryOn(monitorClient(), `alter system set ${name} = ${value}`);
    await queryOn(monitorClient(), 'select pg_reload_conf()');
    let phaseStartedAt = performance.now();
    const endPhase = (phase: keyof AutoFailoverCluster['startupPhasesMs']) => {
      cluster.startupPhasesMs[phase] = Math.round(performance.now() - phaseStartedAt);
      phaseStartedAt = performance.now();
    };
    cluster.startupPhasesMs.monitor = Math.round(performance.now() - startedAt);
    const monitorUrl = `postgres://autoctl_node@${monitorHost}:${monitorPort}/pg_auto_failover?sslmode=disable&${KEEPER_MONITOR_LINK}`;
    // Placed on a LAN, a node lets that whole network in to the app database (the test and the other
    // regions' servers connect from there); on loopback, pg_autoctl's rules for 127.0.0.1 are enough.
    const lanRules = options.placement ? ['--pg-hba-lan'] : [];
    const createNode = (node: AutoFailoverNode) =>
      startSupervisor(
        node.name,
        [
          ...['create', 'postgres', '--pgdata', node.dataDirectory, '--pgport', String(node.port), '--name', node.name],
          ...['--dbname', AUTO_FAILOVER_DATABASE, '--monitor', monitorUrl, ...listenOn(node.host), ...lanRules, ...common, '--run'],
        ],
        node.namespace,
      );
    createNode(nodes[0]);
    // The standbys may start once node1 is registered (it is then the first, so the primary): they wait
    // in wait_standby for it, and their initdb and keeper start overlap node1's.
    await waitFor(
      async () => {
        assertRunning('node1');
        return (await cluster.states()).some((state) => state.name === 'node1');
      },
      90_000,
      async () => `node1 did not register:\n${await logTail('node1')}`,
    );
    const standbys = nodes.slice(1);
    for (const standby of standbys) createNode(standby);
    // A standby's pg_basebackup waits for a checkpoint on node1 (a spread one, minutes): ask for it at once.
    await waitFor(
      async () => {
        for (const standby of standbys) assertRunning(standby.name);
        await cluster.query(nodes[0], 'checkpoint').catch(() => {});
        const states = await cluster.states();
        return standbys.every((standby) => states.some((state) => state.name === standby.name && state.reportedState === 'secondary'));
      },
      120_000,
      async () =>
        `standbys did not become secondary: ${JSON.stringify(await cluster.states().catch(() => []))}\n` +
        (await Promise.all(standbys.map(async (standby) => `--- ${standby.name}\n${await logTail(standby.name)}`))).join('\n'),
      200,
    );
    await cluster.waitForStates(Object.fromEntries(nodes.map((node, index) => [node.name, index === 0 ? 'primary' : 'secondary'])), 60_000);
    if (options.numberSyncStandbys !== undefined) {
      // The monitor's own function rather than `pg_autoctl set formation number-sync-standbys`, whose
      // error messages hide the monitor's reason ("value 1 is not valid").
      await queryOn(monitorClient(), `select pgautofailover.set_formation_number_sync_standbys('default', ${options.numberSyncStandbys})`);
      await cluster.waitForStates({ node1: 'primary' }, 60_000);
    }
    endPhase('nodes');
    for (const node of nodes) {
      await asPostgresWithXdg([
        'config',
        'set',
        '--pgdata',
        node.dataDirectory,
        'timeout.network_partition_timeout',
        KEEPER_NETWORK_PARTITION_TIMEOUT_S,
      ]);
      await cluster.query(node, `alter system set wal_sender_timeout = '${options.walSenderTimeout ?? WAL_SENDER_TIMEOUT}'`);
      await cluster.query(node, 'select pg_reload_conf()');
    }
    endPhase('tuning');
    cluster.startupMs = Math.round(performance.now() - startedAt);
    return cluster;
  } catch (error) {
    if (error instanceof SupervisorExited) {
      const names = ['monitor', ...nodes.map((node) => node.name)];
      const logs = await Promise.all(names.map(async (name) => `--- ${name}.log\n${await logTail(name)}`));
      error.message += `\n${logs.join('\n')}`;
    }
    await cluster.close();
    throw error;
  }
}

class SupervisorExited extends Error {
  constructor(name: string) {
    super(`pg_autoctl for ${name} exited`);
  }
}

/** Polls `check` until it is true; on timeout throws with `describe()`'s text. */
async function waitFor(check: () => Promise<boolean>, timeoutMs: number, describe: () => Promise<string>, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const isDone = await check().catch((error: unknown) => {
      if (error instanceof SupervisorExited) throw error;
      return false;
    });
    if (isDone) return;
    if (Date.now() > deadline) throw new Error(await describe());
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
