import type { Knex } from 'knex';
import type { RegionConfig } from '@shared/config.ts';
import { REPORTER } from '@shared/failover/recordFailovers.ts';
import type { Logger } from '@shared/logger.ts';
import { checkRegion } from './checkRegion.ts';
import { judgeRegions, type JudgedRegion } from './judgeRegions.ts';
import { pruneHealthChecks, saveRegionHealth } from './regions.repo.ts';

/** How long health_checks rows are kept. */
const HISTORY_MS = 24 * 60 * 60 * 1000;
/** How often (in rounds' time) the old rows are deleted: not every round, it is a range delete. */
const PRUNE_EVERY_MS = 10 * 60 * 1000;

/**
 * Checks every region's API and database node every `intervalMs` and keeps the latest round in memory,
 * so GET /api/dr/regions answers from here even while the database fails over — which is when a client
 * needs it most. Each round is also written (history and each region's latest state) when the database
 * takes writes; a write that fails or is still running is skipped, never retried or queued, so a
 * database outage costs this process nothing but the missing rows.
 */
export class RegionHealthChecker {
  private latestRound: JudgedRegion[] = [];
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private write: Promise<void> | undefined;
  private isStopped = false;
  private lastPrunedAt = 0;

  constructor(
    private readonly options: {
      regions: RegionConfig[];
      intervalMs: number;
      /** Longest one probe (an HTTP request, a database connection and query) may take. */
      timeoutMs: number;
      /** A region's database host:port as a connection string with the product's credentials. */
      databaseUrlFor?: (hostAndPort: string) => string;
      db: Knex;
      log: Logger;
    },
  ) {}

  /** Runs a first round now, then one every interval until stop(). */
  start(): void {
    this.runRound();
  }

  /** The latest round (empty until the first one ends). */
  latest(): JudgedRegion[] {
    return this.latestRound;
  }

  /** Stops the rounds, and waits for the one running and its write. */
  async stop(): Promise<void> {
    this.isStopped = true;
    clearTimeout(this.timer);
    await this.round;
    await this.write;
  }

  private runRound(): void {
    const { regions, timeoutMs, databaseUrlFor } = this.options;
    this.round = Promise.all(regions.map((region) => checkRegion(region, { timeoutMs, databaseUrlFor })))
      .then((probes) => {
        this.latestRound = judgeRegions(probes);
        this.saveInBackground(this.latestRound);
      })
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'region health round failed'))
      .finally(() => {
        if (this.isStopped) return;
        this.timer = setTimeout(() => this.runRound(), this.options.intervalMs);
        this.timer.unref();
      });
  }

  private saveInBackground(round: JudgedRegion[]): void {
    if (this.write) return;
    const { db, log } = this.options;
    const isPruneDue = Date.now() - this.lastPrunedAt > PRUNE_EVERY_MS;
    this.write = saveRegionHealth(db, round, REPORTER)
      .then(async () => {
        if (!isPruneDue) return;
        this.lastPrunedAt = Date.now();
        await pruneHealthChecks(db, HISTORY_MS);
      })
      .catch((error: unknown) => log.warn({ err: error }, 'region health not written (the database does not take writes now)'))
      .finally(() => {
        this.write = undefined;
      });
  }
}
