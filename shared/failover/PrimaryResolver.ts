import { EventEmitter } from 'node:events';
import type { Logger } from '../logger.ts';
import { DatabaseFailoverError } from './DatabaseFailoverError.ts';
import type { DatabaseHost, DatabaseUrl } from './parseDatabaseUrl.ts';
import { probeDatabaseServer, type ServerRole } from './probeDatabaseServer.ts';

export type { ServerRole } from './probeDatabaseServer.ts';

export interface PrimaryResolverOptions {
  /** The servers to choose from. */
  url: DatabaseUrl;
  /** How long one connection attempt (and the probe's query) may take; a frozen host must not hold us. */
  connectTimeoutMs: number;
  /** How long one search for the writable server goes on before its waiters get DatabaseFailoverError. */
  resolveTimeoutMs: number;
  log: Logger;
}

/** First and largest pause between two probe rounds. */
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 500;
/** Least time a server silent last round gets, past the others' answers, to answer this one. */
const SILENT_GRACE_MS = 100;

/**
 * Knows which of the servers a multi-host DATABASE_URL names takes writes, and finds it again when
 * told the one it knew failed. libpq does this itself (target_session_attrs=read-write); node-postgres
 * does not, so the pools ask here before every new connection.
 *
 * A server is writable when it is out of recovery *and* a new session is not read-only: pg_auto_failover
 * promotes a standby with default_transaction_read_only on until the old primary is known demoted.
 * When two servers look writable at once (a paused old primary that resumed, before its keeper stops
 * it) neither is chosen: the search goes on until only one is left, so this process never writes to
 * two primaries.
 *
 * Emits `primary` (host, previous) when it settles on a server, `lost` (reason, host) when told to look
 * again, and `abandoned` (host) when its own check found the server in use no longer writable.
 */
export class PrimaryResolver extends EventEmitter {
  /** Bumped each time the current primary is given up: connections made before it are not used again. */
  generation = 0;
  /**
   * True while this process runs a planned switchover (POST /api/dr/switchover): that command writes the
   * failover_events row itself, with its milestones, so recordFailovers leaves this one out.
   */
  isSwitchingOver = false;
  private current: DatabaseHost | undefined;
  private searching: Promise<DatabaseHost> | undefined;
  private readonly log: Logger;

  constructor(readonly options: PrimaryResolverOptions) {
    super();
    this.log = options.log.child({ module: 'db.primary' });
  }

  /** The writable server, found now if it is not known; rejects with DatabaseFailoverError when none is found in time. */
  primary(): Promise<DatabaseHost> {
    if (this.current) return Promise.resolve(this.current);
    this.searching ??= this.search().finally(() => {
      this.searching = undefined;
    });
    return this.searching;
  }

  /**
   * Asks the server in use every `intervalMs` whether it still takes writes, on a fresh connection. A
   * frozen server (a hung host, a cut network) fails no query — the kernel keeps acknowledging — so
   * without this the pool would wait on it until it came back; when the check fails, the server is
   * given up (`abandoned`, so the pool cuts its connections to it) and the writable one looked for.
   * Returns the function that stops the checks.
   */
  watch(intervalMs: number): () => void {
    let isChecking = false;
    const timer = setInterval(() => {
      const checked = this.current;
      if (!checked || isChecking) return;
      isChecking = true;
      void this.probe(checked)
        .then((role) => {
          if (role === 'writable' || this.current !== checked) return;
          this.invalidate(`primary check: ${role}`);
          this.emit('abandoned', checked);
        })
        .finally(() => {
          isChecking = false;
        });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** The server in use, if one is known right now. */
  get known(): DatabaseHost | undefined {
    return this.current;
  }

  /** True while the writable server is being looked for (the write gap of a failover). */
  get isSearching(): boolean {
    return this.searching !== undefined;
  }

  /** True when a connection to host:port goes to the server in use (others are dropped). */
  isCurrent(host: string | undefined, port: number | undefined): boolean {
    return this.current !== undefined && this.current.host === host && this.current.port === Number(port);
  }

  /**
   * The server in use failed (it went away, or refused a write as read-only): forget it, so the next
   * connection looks for the writable one again. `from`, when given, is the server that failed; a
   * failure of a server already given up changes nothing.
   */
  invalidate(reason: string, from?: { host?: string; port?: number }): void {
    if (!this.current) return;
    if (from && !this.isCurrent(from.host, from.port)) return;
    const lost = this.current;
    this.log.warn({ primary: describe(lost), reason }, 'lost the primary; looking for the writable server');
    this.current = undefined;
    this.generation += 1;
    this.emit('lost', reason, lost);
  }

  /** Asks one server what it is, on a fresh connection. */
  probe(host: DatabaseHost): Promise<ServerRole> {
    return probeDatabaseServer(this.options.url.urlFor(host), this.options.connectTimeoutMs);
  }

  /**
   * Probes every server each round, backing off between rounds, until exactly one is writable. A server
   * that did not answer last round (a lost region swallows the SYN, and its probe runs to the connect
   * timeout) is waited for only a little past the others: a fresh connection to a server that came back
   * answers as fast as theirs did. Waiting each round for the full timeout would find a promoted standby
   * up to that long late.
   */
  private async search(): Promise<DatabaseHost> {
    const startedAt = Date.now();
    const deadline = startedAt + this.options.resolveTimeoutMs;
    const { hosts } = this.options.url;
    let silent = new Set<DatabaseHost>();
    let pause = FIRST_BACKOFF_MS;
    for (;;) {
      const roles = await this.probeRound(hosts, silent);
      silent = new Set(hosts.filter((_, index) => roles[index] === 'unreachable'));
      const writable = hosts.filter((_, index) => roles[index] === 'writable');
      if (writable.length === 1) {
        const previous = this.lastKnown;
        this.current = writable[0]!;
        this.lastKnown = this.current;
        if (previous && describe(previous) !== describe(this.current))
          this.log.warn({ primary: describe(this.current), previous: describe(previous), searchMs: Date.now() - startedAt }, 'new primary');
        else this.log.info({ primary: describe(this.current), searchMs: Date.now() - startedAt }, 'primary found');
        this.emit('primary', this.current, previous);
        return this.current;
      }
      if (writable.length > 1)
        this.log.warn({ writable: writable.map(describe) }, 'several servers take writes; waiting until only one does');
      if (Date.now() + pause > deadline) {
        const seen = Object.fromEntries(hosts.map((host, index) => [describe(host), roles[index]]));
        // The servers' names stay in the log; the client learns only that it should retry.
        this.log.error({ seen, searchMs: Date.now() - startedAt }, 'no single writable database server found');
        throw new DatabaseFailoverError();
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, MAX_BACKOFF_MS);
    }
  }

  /**
   * One probe of each server. The `silent` ones (no answer last round) count as unreachable unless they
   * answer within as long again as the others took (at least SILENT_GRACE_MS) once those have answered.
   */
  private async probeRound(hosts: DatabaseHost[], silent: Set<DatabaseHost>): Promise<ServerRole[]> {
    const startedAt = Date.now();
    const probes = hosts.map((host) => this.probe(host));
    await Promise.all(probes.filter((_, index) => !silent.has(hosts[index]!)));
    const grace = Math.max(SILENT_GRACE_MS, Date.now() - startedAt);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<ServerRole>((resolve) => (timer = setTimeout(() => resolve('unreachable'), grace)));
    try {
      return await Promise.all(probes.map((probe, index) => (silent.has(hosts[index]!) ? Promise.race([probe, graceOver]) : probe)));
    } finally {
      clearTimeout(timer);
    }
  }

  /** The primary before the current search, to tell a failover from a first connection. */
  private lastKnown: DatabaseHost | undefined;
}

function describe(host: DatabaseHost): string {
  return `${host.host}:${host.port}`;
}
