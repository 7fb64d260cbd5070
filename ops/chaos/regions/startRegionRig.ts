import { createAutoFailoverCluster, type AutoFailoverCluster, type AutoFailoverNode } from '../../../test/autoFailoverCluster.ts';
import { TEST_JWT_SECRET } from '../../../test/http.ts';
import { createDb, migrateLatest } from '@shared/db.ts';
import type { ChaosLog, DrillResult, Scenario } from '../scenario.ts';
import { startDedicatedRedis, type DedicatedRedis } from '../redisServer.ts';
import { REGION_NAMES, startRegionNetwork, type RegionName, type RegionNetwork } from './regionNetwork.ts';
import { startRegionServer, type RegionServer } from './regionServers.ts';

/** Each region is a network stack of its own, so every region's servers can use the same ports. */
const API_PORT = 3000;
const COLLAB_PORT = 1234;

/** One region of the rig: its PostgreSQL node and its two servers. */
export interface RegionSite {
  name: RegionName;
  namespace: string;
  address: string;
  node: AutoFailoverNode;
  apiUrl: string;
  collabUrl: string;
}

export interface RegionRig {
  network: RegionNetwork;
  cluster: AutoFailoverCluster;
  sites: RegionSite[];
  /** A user and a conversation the writers post to. */
  headers: Record<string, string>;
  accessToken: string;
  conversationId: string;
  /** From nothing to every server answering, in ms, and where it went. */
  setupMs: number;
  setupPhasesMs: Record<'regions' | 'formation' | 'migrations' | 'servers', number>;
  /** When the formation was ready (ms epoch): its monitor fails nothing over in the 10 s after it started. */
  readyAt: number;
  siteOf(node: AutoFailoverNode): RegionSite;
  /** The region whose node the monitor has as primary. */
  primarySite(): Promise<RegionSite>;
  /** Whole-region loss: its link goes down and every process inside it is SIGKILLed at once. */
  killRegion(site: RegionSite): Promise<void>;
  /** Heals the region's link and starts its keeper and servers again (after killRegion). */
  restoreRegion(site: RegionSite): Promise<void>;
  /** Error-level lines the servers logged (the cause behind a 500), oldest first per server. */
  serverErrors(): string[];
  /** Waits until the monitor has one primary and every other node a secondary. */
  waitForFormation(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Three regions (ops/regions/regions.sh, on a prefix and /24 of their own), one pg_auto_failover data
 * node in each (one synchronous standby required of two), and in each a REST API and a collab server
 * that bind the region's address and name all three database hosts. The monitor and Redis run on the
 * host's bridge address, outside every region: the witness that decides a failover must survive the
 * loss of any one region (inside the primary's region it would die with it and nobody could promote),
 * and a region's cut then looks to it as a host loss does.
 */
/**
 * A scenario's `setup` on a region rig: builds the rig once (saying how long that took) and runs each
 * drill on it with `drill`; `close` removes it.
 */
export function onRegionRig(
  drill: (rig: RegionRig, drillNumber: number, log: ChaosLog) => Promise<DrillResult>,
  options: { primaryDemoteTimeoutMs?: number } = {},
): Scenario['setup'] {
  return async (log) => {
    const rig = await startRegionRig(options);
    log(`rig ready in ${rig.setupMs} ms ${JSON.stringify(rig.setupPhasesMs)}`);
    return { close: () => rig.close(), drill: (drillNumber) => drill(rig, drillNumber, log) };
  };
}

export async function startRegionRig(options: { primaryDemoteTimeoutMs?: number } = {}): Promise<RegionRig> {
  const startedAt = performance.now();
  let phaseStartedAt = startedAt;
  const phases = { regions: 0, formation: 0, migrations: 0, servers: 0 };
  const endPhase = (phase: keyof typeof phases) => {
    phases[phase] = Math.round(performance.now() - phaseStartedAt);
    phaseStartedAt = performance.now();
  };
  const network = await startRegionNetwork();
  const servers = new Map<RegionName, RegionServer[]>();
  let cluster: AutoFailoverCluster | undefined;
  let redis: DedicatedRedis | undefined;
  const killAllSync = () => {
    for (const list of servers.values()) for (const server of list) server.child.kill('SIGKILL');
    redis?.killNow();
    network.downSync();
  };
  process.once('exit', killAllSync);
  const close = async () => {
    process.removeListener('exit', killAllSync);
    for (const list of servers.values()) for (const server of list) server.child.kill('SIGKILL');
    redis?.killNow();
    await cluster?.close();
    await network.down();
  };

  try {
    endPhase('regions');
    [cluster, redis] = await Promise.all([
      createAutoFailoverCluster({
        placement: {
          monitorHost: network.hostAddress,
          nodes: REGION_NAMES.map((region) => ({ host: network.addressOf(region), namespace: network.namespaceOf(region) })),
        },
        numberSyncStandbys: 1,
        // See AutoFailoverOptions.walSenderTimeout: the keeper's first failed monitor round comes ~2-3 s
        // after a cut here (KEEPER_MONITOR_LINK; 5-8 s without it, when 12 s was needed); with 2 s the
        // cut-off primary never fenced itself until the heal.
        walSenderTimeout: '4s',
        ...(options.primaryDemoteTimeoutMs ? { primaryDemoteTimeoutMs: options.primaryDemoteTimeoutMs } : {}),
      }),
      startDedicatedRedis(network.hostAddress),
    ]);
    const formation = cluster;
    const readyAt = Date.now();
    endPhase('formation');
    const sites: RegionSite[] = REGION_NAMES.map((name, index) => ({
      name,
      namespace: network.namespaceOf(name),
      address: network.addressOf(name),
      node: formation.nodes[index]!,
      apiUrl: `http://${network.addressOf(name)}:${API_PORT}`,
      collabUrl: `ws://${network.addressOf(name)}:${COLLAB_PORT}`,
    }));
    const migrationDb = createDb({ DATABASE_URL: formation.databaseUrl, DATABASE_POOL_MAX: 2, DATA_DIR: '/nonexistent-test-data-dir' });
    try {
      await migrateLatest(migrationDb);
    } finally {
      await migrationDb.destroy();
    }
    endPhase('migrations');

    const regionsList = JSON.stringify(
      sites.map((site) => ({
        name: site.name,
        apiUrl: site.apiUrl,
        collabUrl: site.collabUrl,
        databaseHost: `${site.address}:${site.node.port}`,
      })),
    );
    const envOf = (site: RegionSite): Record<string, string> => ({
      NODE_ENV: 'test',
      HOST: site.address,
      PORT: String(API_PORT),
      COLLAB_PORT: String(COLLAB_PORT),
      DATABASE_URL: formation.databaseUrl,
      // A cut-off host costs a whole connect timeout at every attempt of the multi-host search: keep it short.
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      REDIS_URL: redis!.url,
      REDIS_PREFIX: `${network.prefix}:`,
      JWT_SECRET: TEST_JWT_SECRET,
      DATA_DIR: '/nonexistent-test-data-dir',
      LOG_LEVEL: 'info',
      RATE_LIMIT_AUTH_PER_IP: '10000',
      // The drills measure REST writes; the job queue's own failover is primary-kill's. Fewer pollers, less load.
      JOBS_ENABLED: 'false',
      CODE_EXEC_JS_WORKERS: '1',
      REGIONS: regionsList,
      REGION: site.name,
    });
    // One process per region runs both servers (main.ts, as `npm start` does): six cold node processes
    // on two cores took ~70 s to listen, three take half that, and a region still loses both at once.
    const startServers = async (site: RegionSite) => {
      const server = await startRegionServer({
        namespace: site.namespace,
        entryPoint: 'main.ts',
        env: envOf(site),
        listeningMessage: 'collab-server listening',
      });
      servers.set(site.name, [server]);
    };
    await Promise.all(sites.map(startServers));
    endPhase('servers');

    const { accessToken, conversationId } = await seedConversation(sites[0]!.apiUrl);
    const rig: RegionRig = {
      network,
      cluster: formation,
      sites,
      headers: { Authorization: `Bearer ${accessToken}` },
      accessToken,
      conversationId,
      setupMs: Math.round(performance.now() - startedAt),
      setupPhasesMs: phases,
      readyAt,
      siteOf: (node) => sites.find((site) => site.node.name === node.name)!,
      async primarySite() {
        const primary = await formation.primary();
        if (!primary) throw new Error(`no primary: ${JSON.stringify(await formation.states())}`);
        return rig.siteOf(primary);
      },
      serverErrors: () => [...servers.values()].flat().flatMap((server) => server.errors),
      async killRegion(site) {
        await network.cut(site.name);
        const pids = await network.pidsIn(site.name);
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Gone already.
          }
        }
      },
      async restoreRegion(site) {
        await network.heal(site.name);
        for (const server of servers.get(site.name) ?? []) await server.exited;
        await formation.restart(site.node);
        // Started while its node is demoted and rewound, a server can lose its first connections and exit
        // (fail fast: shared/lifecycle.ts); the rig starts it again, as the supervisor in production would.
        for (let attempt = 1; ; attempt += 1) {
          try {
            await startServers(site);
            break;
          } catch (error) {
            if (attempt === 3) throw error;
          }
        }
      },
      async waitForFormation(timeoutMs = 120_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const states = await formation.states().catch(() => []);
          const settled = states.filter((state) => state.reportedState === state.goalState);
          const primaries = settled.filter((state) => state.reportedState === 'primary').length;
          const secondaries = settled.filter((state) => state.reportedState === 'secondary').length;
          if (primaries === 1 && secondaries === sites.length - 1) return;
          if (Date.now() > deadline) throw new Error(`formation not back to one primary and two secondaries: ${JSON.stringify(states)}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      },
      close,
    };
    return rig;
  } catch (error) {
    await close();
    throw error;
  }
}

/** Registers a user through the API and creates the conversation the writers post to. */
async function seedConversation(apiUrl: string): Promise<{ accessToken: string; conversationId: string }> {
  const post = async (path: string, body: object, headers: Record<string, string> = {}) => {
    const response = await fetch(`${apiUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as { data: Record<string, unknown> };
    if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json.data;
  };
  const registered = await post('/api/auth/register', {
    email: `regions-${Date.now()}@example.com`,
    password: 'correct horse battery staple',
    name: 'Region writer',
  });
  const accessToken = registered.accessToken as string;
  const conversation = await post('/api/conversations', { title: 'Regions' }, { Authorization: `Bearer ${accessToken}` });
  return { accessToken, conversationId: conversation.id as string };
}
