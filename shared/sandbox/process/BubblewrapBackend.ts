import fs from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../logger.ts';
import { parseConfig } from '../../config.ts';
import { defaultLimits } from '../limits.ts';
import type { Language, LanguageRuntime, LimitHit, RunRequest, RunResult, SandboxBackend } from '../types.ts';
import type { SandboxShape } from './bwrapArgs.ts';
import { CgroupPool, type CgroupCounters } from './CgroupPool.ts';
import { detectRuntimes } from './detectRuntimes.ts';
import type { ProcessLanguage } from './languages.ts';
import { runScript } from './runScript.ts';
import { SandboxLauncher, type LaunchOutcome, type LauncherTarget } from './SandboxLauncher.ts';
import { SlotQueue } from './SlotQueue.ts';
import { warmGoCache } from './warmGoCache.ts';

export interface BubblewrapBackendOptions {
  /** The unprivileged uid (and gid) every sandbox runs as when the API runs as root. */
  sandboxUid: number;
  /** Runs at once; the caller queues above it, this backend makes further runs wait for a free slot. */
  slots: number;
  /**
   * Size of /tmp in the sandboxes started ahead of their runs (the configuration's fileBytes, the same every run); a run
   * asking for another size gets a sandbox started for it. Default: the default configuration's.
   */
  fileBytes?: number;
  /**
   * The largest program a run brings, in bytes (the configuration's CODE_EXEC_CODE_BYTES): the sandboxes started ahead
   * have room for it in /tmp on top of fileBytes; a larger one gets a sandbox started for it. Default: the default configuration's.
   */
  programBytes?: number;
  log: Logger;
}

/** Room under RLIMIT_NPROC for the sandbox uid's other processes on the host, when the pids cgroup holds each run. */
const HOST_PROCESS_BACKSTOP = 1024;
/** How long the backend waits, idle after a run, before starting the sandboxes that are due. */
const IDLE_PARK_DELAY_MS = 50;
/** Processes in a run's pids cgroup besides the program's: the launcher that became bwrap, and the sandbox's pid-1 shell. */
const BWRAP_PROCESSES = 2;

/**
 * Python 3, Ruby, Go and Bash as real processes under bubblewrap. As root, each run drops to `sandboxUid` before bwrap
 * (bwrap started as root stays root inside: /etc/shadow was readable and RLIMIT_NPROC is ignored for root), joins a
 * memory+pids cgroup slot from a pool made at start, and gets rlimits (CPU, address space, processes, open files, file
 * size). Not as root there is no uid switch and no cgroup: rlimits and the namespaces still hold (see `describe()`).
 */
export class BubblewrapBackend implements SandboxBackend {
  readonly name = 'bubblewrap';
  private readonly isRoot = process.getuid?.() === 0;
  private readonly slotQueue: SlotQueue;
  private readonly languages = new Map<Language, { language: ProcessLanguage; runtime: LanguageRuntime }>();
  private starting: Promise<void> | null = null;
  private cgroups: CgroupPool | null = null;
  private goCacheDir: string | null = null;
  /** Slots whose next sandbox is due (parkLater). */
  private readonly dueLaunchers = new Set<number>();
  /** Per slot, the next run's sandbox, started (in the slot's cgroups, namespaces and mounts made) ahead of the run. */
  private readonly parked = new Map<number, SandboxLauncher>();
  /** The shape of the sandboxes started ahead: the configuration's fileBytes and largest program. */
  private readonly parkedShape: { fileBytes: number; programBytes: number };

  constructor(private readonly options: BubblewrapBackendOptions) {
    this.slotQueue = new SlotQueue(options.slots);
    this.parkedShape = {
      fileBytes: options.fileBytes ?? defaultLimits().fileBytes,
      programBytes: options.programBytes ?? parseConfig({}).CODE_EXEC_CODE_BYTES,
    };
  }

  /** One line on how runs are confined here; also logged at start. */
  describe(): string {
    const who = this.isRoot ? `runs as uid ${this.options.sandboxUid}` : `no uid switch (not root: runs as uid ${process.getuid?.()})`;
    const cgroups = this.cgroups ? `memory+pids cgroups (${this.options.slots} slots)` : 'no cgroups (rlimits only)';
    return `bubblewrap: ${who}, ${cgroups}, rlimits, all namespaces unshared`;
  }

  start(): Promise<void> {
    this.starting ??= this.startOnce().catch((error: unknown) => {
      this.starting = null;
      throw error;
    });
    return this.starting;
  }

  async runtimes(): Promise<LanguageRuntime[]> {
    await this.start();
    return [...this.languages.values()].map(({ runtime }) => runtime);
  }

  async run(request: RunRequest): Promise<RunResult> {
    const startedAt = performance.now();
    await this.start();
    const entry = this.languages.get(request.language);
    if (!entry) throw new Error(`${request.language} is not available in the bubblewrap backend`);
    const slot = await this.slotQueue.acquire();
    let isSlotClean = true;
    try {
      const { outcome, before } = await this.runInSlot(slot, entry.language, request);
      if (this.cgroups) isSlotClean = await this.cgroups.drain(slot);
      if (isSlotClean && this.starting) this.parkLater(slot);
      const after = this.cgroups ? await this.cgroups.counters(slot) : null;
      const { killedFor: _killedFor, ...result } = outcome;
      return { ...result, limit: limitHit(outcome, entry.language, before, after), durationMs: Math.round(performance.now() - startedAt) };
    } finally {
      // A slot that would not empty is never handed out again (the drain logged it).
      if (isSlotClean) this.slotQueue.release(slot);
      else this.slotQueue.retire();
    }
  }

  async close(): Promise<void> {
    const starting = this.starting;
    this.starting = null;
    await starting?.catch(() => undefined);
    // Each ends before the cgroups are drained: a drain that killed bwrap before its pid-1 shell would orphan the shell.
    await Promise.all([...this.parked.values()].map((launcher) => launcher.discard()));
    this.parked.clear();
    this.dueLaunchers.clear();
    await this.cgroups?.remove();
    this.cgroups = null;
    if (this.goCacheDir) await fs.rm(this.goCacheDir, { recursive: true, force: true });
    this.goCacheDir = null;
    this.languages.clear();
  }

  private async startOnce(): Promise<void> {
    const { log } = this.options;
    await fs.access('/usr/bin/bwrap', fs.constants.X_OK).catch(() => {
      throw new Error('bubblewrap is not installed (/usr/bin/bwrap): apt-get install bubblewrap');
    });
    for (const found of await detectRuntimes()) this.languages.set(found.runtime.language, found);
    const go = this.languages.get('go');
    if (go) {
      try {
        this.goCacheDir = await warmGoCache(go.language);
      } catch (error) {
        log.error({ err: error }, 'Go is left out: its build cache could not be warmed');
        this.languages.delete('go');
      }
    }
    if (this.isRoot) this.cgroups = await CgroupPool.create({ slots: this.options.slots, sandboxUid: this.options.sandboxUid, log });
    else log.warn('not running as root: no uid switch and no cgroups; rlimits still apply');
    for (let slot = 0; slot < this.options.slots; slot++) this.park(slot);
    log.info(
      { runtimes: [...this.languages.values()].map(({ runtime }) => runtime), sandbox: this.describe() },
      'bubblewrap backend ready',
    );
  }

  private async runInSlot(
    slot: number,
    language: ProcessLanguage,
    request: RunRequest,
  ): Promise<{ outcome: LaunchOutcome; before: CgroupCounters | null }> {
    const { limits } = request;
    const processes = limits.processes + language.extraProcesses + BWRAP_PROCESSES;
    const before = this.cgroups ? await this.cgroups.prepare(slot, { memoryBytes: limits.memoryBytes, processes }) : null;
    // Its sandbox, if still due, is started after this run: one started during it would join its cgroups and be drained with it.
    this.dueLaunchers.delete(slot);
    let launcher = this.parked.get(slot);
    this.parked.delete(slot);
    const programBytes = Buffer.byteLength(request.code);
    if (!launcher?.isUsable || launcher.shape.fileBytes !== limits.fileBytes || launcher.shape.programBytes < programBytes) {
      // An unfit sandbox must be gone before another joins the slot: it would count against the run's pids.max.
      await launcher?.discard();
      const shape = this.shape(limits.fileBytes, Math.max(programBytes, this.parkedShape.programBytes));
      launcher = SandboxLauncher.spawn(this.launcherTarget(slot), shape);
    }
    const script = runScript({
      language,
      limits,
      source: request.code,
      rlimits: {
        cpuSeconds: limits.cpuSeconds,
        addressSpaceBytes: language.addressSpaceBytes(limits.memoryBytes),
        // RLIMIT_NPROC counts every process of the uid host-wide (every slot, every API process on the host, anything
        // else running as that uid): with cgroups the pids cgroup is the per-run limit and this only a loose backstop
        // (measured: processes × slots made other runs fail to clone while a bomb ran); without, it is the only limit.
        processes: this.cgroups ? processes * this.options.slots + HOST_PROCESS_BACKSTOP : processes,
        openFiles: language.toolchainOpenFiles ?? limits.openFiles,
        fileBytes: limits.fileBytes,
      },
    });
    const running = launcher.run({ script, stdin: request.stdin, wallTimeMs: limits.wallTimeMs, outputBytes: limits.outputBytes });
    // While this program runs, the event loop is free: the right moment to start the other slots' sandboxes.
    this.parkPending();
    return { outcome: await running, before };
  }

  /**
   * Marks the slot's next sandbox as due, rather than starting it at once: a spawn forks this whole process
   * (measured: several ms of a busy API's event loop) and bwrap's setup takes CPU, and right after a run that would
   * delay its answer. It is started while the next run's program executes (runInSlot), or when the backend has been
   * idle a moment; with one slot there is no other run to wait for, so it is started now.
   */
  private parkLater(slot: number): void {
    if (this.options.slots === 1) return this.park(slot);
    this.dueLaunchers.add(slot);
    setTimeout(() => this.parkPending(), IDLE_PARK_DELAY_MS).unref();
  }

  /** Starts every sandbox that is due. */
  private parkPending(): void {
    if (!this.starting) return;
    for (const slot of this.dueLaunchers) this.park(slot);
    this.dueLaunchers.clear();
  }

  /** Starts the slot's next sandbox now, so that joining the cgroups and bwrap's setup are paid while nobody waits. */
  private park(slot: number): void {
    this.dueLaunchers.delete(slot);
    // A slot's sandbox is only replaced once it was used (run) or is gone (close): nothing is left to discard.
    if (this.parked.has(slot)) return;
    const { fileBytes, programBytes } = this.parkedShape;
    this.parked.set(slot, SandboxLauncher.spawn(this.launcherTarget(slot), this.shape(fileBytes, programBytes)));
  }

  private shape(fileBytes: number, programBytes: number): SandboxShape {
    return { fileBytes, programBytes, goCacheDir: this.goCacheDir };
  }

  private launcherTarget(slot: number): LauncherTarget {
    return { uid: this.isRoot ? this.options.sandboxUid : null, cgroupJoin: this.cgroups?.joinCommand(slot) ?? null };
  }
}

/** Which limit ended the run: ours (time, output), the cgroups' counters, or the runtime's own out-of-memory report. */
function limitHit(
  outcome: LaunchOutcome,
  language: ProcessLanguage,
  before: CgroupCounters | null,
  after: CgroupCounters | null,
): LimitHit | null {
  if (outcome.killedFor === 'output') return 'output';
  if (before && after && after.oomKills > before.oomKills) return 'memory';
  if (before && after && after.pidsMaxHits > before.pidsMaxHits) return 'processes';
  if (outcome.killedFor === 'time' || outcome.signal === 'SIGXCPU') return 'time';
  if (outcome.exitCode !== 0 && language.outOfMemoryPattern?.test(outcome.stderr)) return 'memory';
  return null;
}
