import type { Knex } from 'knex';
import { PgBoss, fromKnex, type JobWithMetadata, type SendOptions } from 'pg-boss';
import type { z } from 'zod';
import type { Logger } from '../logger.ts';
import type { QueueDefinition, QueueRef } from './defineQueue.ts';
import { bossOptions, queueOptions, WORK_OPTIONS } from './bossOptions.ts';
import { pruneProgress, readProgress, type JobProgress } from './progress.ts';
import { runJob } from './runJob.ts';

/** How a process runs its jobs; built from the configuration by createServices. */
export interface JobsOptions {
  /** PostgreSQL for pg-boss's own pool; unset: the embedded PGlite, through knex's one connection. */
  databaseUrl?: string;
  /** Run workers here (JOBS_ENABLED); a process that only enqueues sets false. */
  work: boolean;
  /** Jobs of a queue run at once in this process, unless the queue says otherwise (JOBS_CONCURRENCY). */
  concurrency: number;
  /** How long stop() lets running jobs finish before failing them back to the queue, in ms. */
  stopTimeoutMs: number;
  /**
   * How often expired jobs (their process died) are failed back to the queue. A job that was running
   * when its process died runs again at most expireInSeconds + this later. Default 10.
   */
  superviseIntervalSeconds?: number;
  /** How often schedules are checked for occurrences that came due, in seconds. Default pg-boss's (30). */
  cronIntervalSeconds?: number;
}

/** Where a job stands. */
export interface JobStatus {
  id: string;
  queue: string;
  state: JobWithMetadata['state'];
  /** Retries so far (0 while the first attempt has not failed). */
  retryCount: number;
  /** What the handler returned, or on failure the error pg-boss kept (`{ name, message, … }`). */
  output: unknown;
  createdAt: Date;
  completedAt: Date | null;
}

const PRUNE_INTERVAL_MS = 6 * 3600_000;

/**
 * Durable background jobs on pg-boss, in the product's own database: PostgreSQL with any number of
 * processes, or the embedded PGlite. Queues are defined before `start()`; `enqueue` takes the caller's
 * transaction, so a job exists exactly when the change that asked for it commits. Delivery is
 * at least once: a job is retried with backoff until its retry limit, and one whose process died is
 * picked up again once its lease (expireInSeconds or heartbeat) has run out.
 */
export class Jobs {
  private readonly queues = new Map<string, QueueDefinition>();
  private readonly startedHooks: Array<{ name: string; run: () => Promise<void> }> = [];
  private readonly schedules = new Map<string, { cron: string | undefined; payload: object }>();
  private boss?: PgBoss;
  private pruneTimer?: NodeJS.Timeout;
  private stopping?: Promise<void>;

  constructor(
    private readonly db: Knex,
    private readonly log: Logger,
    private readonly options: JobsOptions,
  ) {}

  /** Adds a queue; its workers start with `start()`. Defining a name again replaces the definition. */
  define(queue: QueueDefinition): void {
    if (this.boss) throw new Error(`queue ${queue.name} defined after the jobs started`);
    this.queues.set(queue.name, queue);
  }

  /** Work to do once the queues exist and the workers run (such as enqueueing what waited for them). */
  onStarted(name: string, run: () => Promise<void>): void {
    this.startedHooks.push({ name, run });
  }

  /**
   * Sends a job to `queue` at every occurrence of `cron` (UTC), from the next start on. The schedule lives in the
   * database, and of all the processes that run jobs exactly one sends each occurrence. `undefined` removes a
   * schedule an earlier start left behind (the setting was unset since).
   */
  schedule<S extends z.ZodType>(queue: QueueRef<S>, cron: string | undefined, payload: z.input<S>): void {
    if (this.boss) throw new Error(`queue ${queue.name} scheduled after the jobs started`);
    this.schedules.set(queue.name, { cron, payload: queue.payload.parse(payload) as object });
  }

  /** Installs or migrates pg-boss's schema, creates the queues and, where JOBS_ENABLED, starts their workers. */
  async start(): Promise<void> {
    if (this.boss) throw new Error('jobs already started');
    const hasSchedules = [...this.schedules.values()].some((entry) => entry.cron !== undefined);
    const boss = new PgBoss({
      ...bossOptions(this.db, this.options.databaseUrl, this.options.superviseIntervalSeconds ?? 10),
      // The cron pass only where something is scheduled: it adds timers and an internal queue.
      ...(hasSchedules ? { schedule: true } : {}),
      // pg-boss asserts on a key that is present, even as undefined.
      ...(hasSchedules && this.options.cronIntervalSeconds
        ? { cronWorkerIntervalSeconds: this.options.cronIntervalSeconds, cronMonitorIntervalSeconds: this.options.cronIntervalSeconds }
        : {}),
    });
    this.boss = boss;
    boss.on('error', (error) => this.log.error({ err: error }, 'job queue error'));
    boss.on('warning', (warning) => this.log.warn({ warning: warning.data }, `job queue: ${warning.message}`));
    await boss.start();
    for (const queue of this.queues.values()) {
      const options = queueOptions(queue);
      await boss.createQueue(queue.name, { ...options, notify: true });
      // createQueue keeps an existing queue's settings; the code's definition wins at every start.
      await boss.updateQueue(queue.name, { ...options, notify: true });
    }
    for (const [name, { cron, payload }] of this.schedules) {
      if (!this.queues.has(name)) throw new Error(`queue ${name} is scheduled but not defined`);
      if (cron) await boss.schedule(name, cron, payload, { tz: 'UTC' });
      else await boss.unschedule(name);
    }
    if (this.options.work) {
      for (const queue of this.queues.values()) {
        for (let slot = 0; slot < (queue.concurrency ?? this.options.concurrency); slot++) await this.startWorker(boss, queue);
      }
      const prune = () => pruneProgress(this.db).catch((error) => this.log.warn({ err: error }, 'pruning job progress failed'));
      await prune();
      this.pruneTimer = setInterval(() => void prune(), PRUNE_INTERVAL_MS).unref();
    }
    this.log.info({ queues: [...this.queues.keys()], working: this.options.work }, 'jobs started');
    for (const hook of this.startedHooks) {
      try {
        await hook.run();
      } catch (error) {
        this.log.error({ err: error, hook: hook.name }, 'a jobs start hook failed');
      }
    }
  }

  /**
   * Adds a job. Pass the caller's transaction as `trx`: the job then commits or rolls back with it.
   * On PGlite it is required inside a transaction, which holds the one connection (see pgliteViaKnex).
   * Returns the job's id.
   */
  async enqueue<S extends z.ZodType>(queue: QueueRef<S>, payload: z.input<S>, options: { trx?: Knex.Transaction } = {}): Promise<string> {
    // Started, so the queue is in pg-boss's cache: a cache miss would read through the pool, which
    // on PGlite the caller's own transaction holds.
    const boss = this.started();
    const defined = this.queues.get(queue.name);
    if (!defined) throw new Error(`queue ${queue.name} is not defined`);
    const send: SendOptions = { ...queueOptions(defined) };
    if (options.trx) send.db = fromKnex(options.trx);
    const id = await boss.send(queue.name, queue.payload.parse(payload) as object, send);
    if (!id) throw new Error(`queue ${queue.name} refused the job`);
    return id;
  }

  /** The job's last reported progress, if its handler reported any. */
  readProgress(jobId: string): Promise<JobProgress | undefined> {
    return readProgress(this.db, jobId);
  }

  /** Where a job stands, or undefined once pg-boss has deleted it (completed jobs go after 7 days). */
  async findJob(queue: QueueRef, id: string): Promise<JobStatus | undefined> {
    const [job] = await this.started().findJobs(queue.name, { id });
    if (!job) return undefined;
    return {
      id: job.id,
      queue: job.name,
      state: job.state,
      retryCount: job.retryCount,
      output: (job as { output?: unknown }).output ?? null,
      createdAt: job.createdOn,
      completedAt: job.completedOn,
    };
  }

  /**
   * Stops taking jobs, lets running ones finish for up to `stopTimeoutMs`, then fails the rest back
   * to their queues (they run again elsewhere, or here after a restart). Safe to call more than once.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.pruneTimer);
      if (!this.boss) return;
      await this.boss.stop({ graceful: true, timeout: this.options.stopTimeoutMs, close: true });
      this.log.info('jobs stopped');
    })();
    return this.stopping;
  }

  /**
   * One worker: one job at a time. Not pg-boss's `localConcurrency`, whose workers share one handler:
   * a worker waits out its polling interval after every job unless woken, which with a backlog caps
   * it at one job per interval; a worker of its own can be woken by id as soon as its job ends.
   */
  private async startWorker(boss: PgBoss, queue: QueueDefinition): Promise<void> {
    // Assigned once work() returns: a job that starts before then finds it unset (a const would throw there).
    let workerId: string | undefined = undefined;
    workerId = await boss.work(queue.name, WORK_OPTIONS, async ([job]) => {
      try {
        return await runJob(this.db, this.log, queue, job!);
      } finally {
        if (workerId) boss.notifyWorker(workerId);
      }
    });
  }

  private started(): PgBoss {
    if (!this.boss || this.stopping) throw new Error('jobs are not running: call start() first');
    return this.boss;
  }
}
