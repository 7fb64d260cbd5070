import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../logger.ts';
import { waitUntil } from './waitUntil.ts';

const CGROUP_ROOT = '/sys/fs/cgroup';
const POOL_PREFIX = 'twinmcp-sandbox-';
let poolsMade = 0;
/** How long a slot may take to empty after its sandbox was killed (the pid namespace dies asynchronously). */
const DRAIN_TIMEOUT_MS = 10_000;

/** Counters that only grow; a run compares them before and after to learn which limit it hit. */
export interface CgroupCounters {
  /** Processes the kernel's OOM killer killed in the memory cgroup (`oom_kill` of memory.oom_control). */
  oomKills: number;
  /** Forks refused at pids.max (`max` of pids.events). */
  pidsMaxHits: number;
}

/** Limits written into a slot before each run. */
export interface CgroupLimits {
  memoryBytes: number;
  processes: number;
}

/**
 * A pool of cgroup v1 memory+pids pairs, one per concurrent run, made once at start under
 * /sys/fs/cgroup/{memory,pids}/twinmcp-sandbox-<pid>-<n>/<slot> (making and removing one per run doubled a run's cost,
 * measured 12-15 ms). The launcher joins a slot itself before it execs bwrap, so the untrusted program never runs
 * outside it; for that the slot's cgroup.procs is owned by the sandbox uid. A slot is emptied (every process killed,
 * cgroup.procs polled until empty) after each run and reset before the next.
 */
export class CgroupPool {
  private constructor(
    private readonly poolName: string,
    readonly slots: number,
    private readonly log: Logger,
  ) {}

  /** Makes the pool, or answers null (and says why in the log) when this process may not make cgroups. */
  static async create(options: { slots: number; sandboxUid: number; log: Logger }): Promise<CgroupPool | null> {
    const { slots, sandboxUid, log } = options;
    if (process.getuid?.() !== 0) {
      log.warn('not running as root: sandboxes run without cgroups (rlimits only; memory and processes are not capped per run)');
      return null;
    }
    const missing = await missingHierarchies();
    if (missing.length > 0) {
      log.warn({ missing }, 'no cgroup v1 memory and pids hierarchies here: sandboxes run without cgroups (rlimits only)');
      return null;
    }
    await removeStalePools(log);
    // The pid names the owner (so a dead owner's pool can be found); the counter keeps two pools of one process apart.
    const pool = new CgroupPool(`${POOL_PREFIX}${process.pid}-${++poolsMade}`, slots, log);
    try {
      // One level at a time, never { recursive: true }: on a file system that refuses a directory with
      // ENOENT under a parent that exists (sysfs, where `ip netns exec` leaves /sys/fs/cgroup empty),
      // Node's recursive mkdir retries for ever on its thread pool instead of failing.
      for (const controller of ['memory', 'pids'] as const) await fs.mkdir(path.join(CGROUP_ROOT, controller, pool.poolName));
      for (let slot = 0; slot < slots; slot++) {
        for (const controller of ['memory', 'pids'] as const) {
          const dir = pool.dir(controller, slot);
          await fs.mkdir(dir);
          await fs.chown(path.join(dir, 'cgroup.procs'), sandboxUid, sandboxUid);
        }
      }
    } catch (error) {
      log.warn({ err: error }, 'cannot make cgroups: sandboxes run without them (rlimits only)');
      await pool.remove();
      return null;
    }
    log.info({ pool: pool.poolName, slots }, 'sandbox cgroup pool ready');
    return pool;
  }

  /** Shell commands that move the running shell into the slot; they run as the sandbox uid, before bwrap. */
  joinCommand(slot: number): string {
    return `echo $$ > ${this.dir('memory', slot)}/cgroup.procs && echo $$ > ${this.dir('pids', slot)}/cgroup.procs`;
  }

  /** Writes the run's limits and clears last run's peaks; answers the counters to compare with after the run. */
  async prepare(slot: number, limits: CgroupLimits): Promise<CgroupCounters> {
    const memory = this.dir('memory', slot);
    await fs.writeFile(path.join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    await fs.writeFile(path.join(memory, 'memory.max_usage_in_bytes'), '0');
    await fs.writeFile(path.join(memory, 'memory.failcnt'), '0');
    await fs.writeFile(path.join(this.dir('pids', slot), 'pids.max'), String(limits.processes));
    return this.counters(slot);
  }

  async counters(slot: number): Promise<CgroupCounters> {
    const [oomControl, pidsEvents] = await Promise.all([
      fs.readFile(path.join(this.dir('memory', slot), 'memory.oom_control'), 'utf8'),
      fs.readFile(path.join(this.dir('pids', slot), 'pids.events'), 'utf8'),
    ]);
    return { oomKills: counter(oomControl, 'oom_kill'), pidsMaxHits: counter(pidsEvents, 'max') };
  }

  /** Pids still in the slot (either controller). */
  async members(slot: number): Promise<number[]> {
    const lists = await Promise.all(
      (['memory', 'pids'] as const).map((controller) => fs.readFile(path.join(this.dir(controller, slot), 'cgroup.procs'), 'utf8')),
    );
    return [...new Set(lists.join('\n').split('\n').filter(Boolean).map(Number))];
  }

  /**
   * Kills whatever is left in the slot and waits until it is empty, so no orphan outlives its run and the next run
   * starts clean. Answers false when the slot would not empty in time (the caller then retires it).
   */
  async drain(slot: number): Promise<boolean> {
    try {
      await waitUntil(async () => {
        const pids = await this.members(slot);
        for (const pid of pids) killQuietly(pid);
        return pids.length === 0;
      }, DRAIN_TIMEOUT_MS);
      return true;
    } catch (error) {
      this.log.error({ err: error, slot }, 'sandbox cgroup would not empty');
      return false;
    }
  }

  /** Empties and removes every slot and the pool itself; rmdir fails with EBUSY until a cgroup is empty, so it polls. */
  async remove(): Promise<void> {
    for (let slot = 0; slot < this.slots; slot++) await this.drain(slot);
    for (const controller of ['memory', 'pids'] as const) {
      await removeCgroupTree(path.join(CGROUP_ROOT, controller, this.poolName), this.log);
    }
  }

  private dir(controller: 'memory' | 'pids', slot: number): string {
    return path.join(CGROUP_ROOT, controller, this.poolName, String(slot));
  }
}

/** Reads `name value` out of a flat-keyed cgroup file. */
function counter(text: string, name: string): number {
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

async function removeCgroupTree(dir: string, log: Logger): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) await removeCgroupTree(path.join(dir, entry.name), log);
  try {
    await waitUntil(async () => {
      try {
        await fs.rmdir(dir);
        return true;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return true;
        if (code === 'EBUSY') return false;
        throw error;
      }
    }, DRAIN_TIMEOUT_MS);
  } catch (error) {
    log.error({ err: error, dir }, 'cannot remove sandbox cgroup');
  }
}

/** The controllers whose cgroup v1 hierarchy is not mounted under CGROUP_ROOT (a cgroup v2-only host, a fresh sysfs). */
async function missingHierarchies(): Promise<string[]> {
  const controllers = ['memory', 'pids'] as const;
  const mounted = await Promise.all(
    controllers.map((controller) =>
      fs.access(path.join(CGROUP_ROOT, controller, 'cgroup.procs')).then(
        () => true,
        () => false,
      ),
    ),
  );
  return controllers.filter((_, index) => !mounted[index]);
}

/** Pools left by API processes that died without close(): removed when their owner is gone. */
async function removeStalePools(log: Logger): Promise<void> {
  for (const controller of ['memory', 'pids']) {
    const root = path.join(CGROUP_ROOT, controller);
    const names = await fs.readdir(root).catch(() => [] as string[]);
    for (const name of names) {
      const owner = Number(name.startsWith(POOL_PREFIX) ? name.slice(POOL_PREFIX.length).split('-')[0] : NaN);
      if (!Number.isInteger(owner) || isAlive(owner)) continue;
      const dir = path.join(root, name);
      for (const slot of await fs.readdir(dir).catch(() => [] as string[])) {
        const procs = await fs.readFile(path.join(dir, slot, 'cgroup.procs'), 'utf8').catch(() => '');
        for (const pid of procs.split('\n').filter(Boolean)) killQuietly(Number(pid));
      }
      await removeCgroupTree(dir, log);
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
