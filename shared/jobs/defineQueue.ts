import type { z } from 'zod';
import type { Logger } from '../logger.ts';

/** What a handler can report while it runs; callers read it back with `Jobs.readProgress`. */
export interface JobProgressUpdate {
  /** 0–100. */
  percent?: number;
  /** A short line for people ("sent 40 of 100"); never secrets or content. */
  message?: string;
}

/** What a handler gets besides its payload. */
export interface JobContext {
  /** pg-boss's job id: the same id `enqueue` returned. */
  jobId: string;
  /** 0 on the first run, then 1, 2, … on each retry (and after a crashed run is picked up again). */
  attempt: number;
  /** True when a throw now marks the job failed for good: no retry follows. */
  isLastAttempt: boolean;
  /** Aborted when the job expires or the process stops waiting for it; long handlers should honour it. */
  signal: AbortSignal;
  /** A child logger with the queue and job id. */
  log: Logger;
  /** Records progress in `job_progress` (last write wins). A plain function: handlers destructure the context. */
  progress: (update: JobProgressUpdate) => Promise<void>;
}

/** How long a running job may go before pg-boss treats its worker as dead and runs it again. */
export type JobLease =
  /** Short jobs: an active job older than this is retried. */
  | { expireInSeconds: number; heartbeatSeconds?: never }
  /** Long jobs: the worker heartbeats, and a job unheard of for this long (at least 10) is retried. */
  | { heartbeatSeconds: number; expireInSeconds?: never };

/** A queue: its name, the payload it carries, how it retries and what runs each job. */
export type QueueDefinition<S extends z.ZodType = z.ZodType> = JobLease & {
  /** `<area>.<verb>`, e.g. `email.send`: letters, digits, `.`, `-`, `_`. */
  name: string;
  /** Checked when a job is enqueued and again when it runs (the payload lives in the database between). */
  payload: S;
  /** Runs one job; a throw fails this attempt. Its resolved value is kept as the job's output. */
  handler(payload: z.output<S>, context: JobContext): Promise<unknown>;
  /** Retries after the first attempt fails. Default 3. */
  retryLimit?: number;
  /** Seconds before the first retry; doubled (with jitter) for each later one. Default 2. */
  retryDelaySeconds?: number;
  /** Longest wait between two retries, in seconds. Default 300. */
  retryDelayMaxSeconds?: number;
  /** Jobs of this queue one process runs at once. Default JOBS_CONCURRENCY. */
  concurrency?: number;
};

/**
 * What enqueueing needs to know of a queue: its name and payload. Code that adds jobs holds this, not
 * the definition, so it need not build the handler's dependencies (an SMTP transport, say); the
 * retry and lease settings come from the definition `Jobs` was given.
 */
export type QueueRef<S extends z.ZodType = z.ZodType> = Pick<QueueDefinition<S>, 'name' | 'payload'>;

/** Declares a queue, keeping the payload type of the schema for `enqueue` and the handler. */
export function defineQueue<S extends z.ZodType>(definition: QueueDefinition<S>): QueueDefinition<S> {
  if (!/^[\w.-]+$/.test(definition.name))
    throw new Error(`queue name ${JSON.stringify(definition.name)} may hold only letters, digits, ".", "-" and "_"`);
  return definition;
}
