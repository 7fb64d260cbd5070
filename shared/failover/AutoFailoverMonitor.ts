import pg from 'pg';

/** A data node as the pg_auto_failover monitor has it. */
export interface MonitorNode {
  name: string;
  host: string;
  port: number;
  group: number;
  reportedState: string;
  goalState: string;
  /** The monitor's last health check of the node answered. */
  isHealthy: boolean;
  /** 0 means the node may never be promoted. */
  candidatePriority: number;
}

/** What a statement on the monitor may take; the monitor answers in milliseconds when it is up. */
const STATEMENT_TIMEOUT_MS = 5_000;

/**
 * The pg_auto_failover monitor's SQL API (2.0), as `pg_autoctl perform promotion` uses it; `perform
 * switchover` is perform_failover(formation, group), the same transition with the monitor's choice of
 * standby — the product chooses it itself (chooseSwitchoverTarget), so promotion covers both. The monitor runs the state
 * machine: the product only asks, and reads the node table to follow along. Each call uses its own
 * short-lived connection, so nothing is held open to the monitor between switchovers.
 */
export class AutoFailoverMonitor {
  constructor(
    private readonly connectionString: string,
    /** The formation of the product's nodes (DATABASE_FORMATION). */
    readonly formation: string,
  ) {}

  /** Every data node of the formation, in node id order. */
  async nodes(): Promise<MonitorNode[]> {
    const rows = await this.query<{
      name: string;
      host: string;
      port: number;
      group: number;
      reported: string;
      goal: string;
      health: number;
      priority: number;
    }>(
      `select nodename as name, nodehost as host, nodeport as port, groupid as "group", reportedstate::text as reported,
              goalstate::text as goal, health, candidatepriority as priority
         from pgautofailover.node where formationid = $1 order by nodeid`,
      [this.formation],
    );
    return rows.map((row) => ({
      name: row.name,
      host: row.host,
      port: row.port,
      group: row.group,
      reportedState: row.reported,
      goalState: row.goal,
      isHealthy: row.health === 1,
      candidatePriority: row.priority,
    }));
  }

  /** Asks the monitor to promote one standby by name (it demotes the primary first: RPO 0). */
  async promote(nodeName: string): Promise<void> {
    await this.query('select pgautofailover.perform_promotion($1, $2)', [this.formation, nodeName]);
  }

  /** The monitor's state changes of the formation's nodes since `since`, oldest first. */
  async events(since: Date): Promise<Array<{ at: Date; node: string; reportedState: string }>> {
    const rows = await this.query<{ at: Date; node: string; reported: string }>(
      `select eventtime as at, nodename as node, reportedstate::text as reported
         from pgautofailover.event where formationid = $1 and eventtime >= $2 order by eventid`,
      [this.formation, since],
    );
    return rows.map((row) => ({ at: row.at, node: row.node, reportedState: row.reported }));
  }

  private async query<Row extends object>(sql: string, values: unknown[]): Promise<Row[]> {
    const client = new pg.Client({
      connectionString: this.connectionString,
      connectionTimeoutMillis: STATEMENT_TIMEOUT_MS,
      query_timeout: STATEMENT_TIMEOUT_MS,
      application_name: 'twinmcp-switchover',
    });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query<Row>(sql, values)).rows;
    } finally {
      await client.end().catch(() => {});
    }
  }
}
