import type { Knex } from 'knex';
import type { JobWithMetadata } from 'pg-boss';
import type { Logger } from '../logger.ts';
import type { JobContext, QueueDefinition } from './defineQueue.ts';
import { writeProgress } from './progress.ts';

/**
 * Runs one job of a queue: checks its payload, gives the handler its context, and logs how it went.
 * A throw goes back to pg-boss, which retries the job (or marks it failed after the last attempt)
 * and keeps the error as the job's output.
 */
export async function runJob(db: Knex, log: Logger, queue: QueueDefinition, job: JobWithMetadata<unknown>): Promise<unknown> {
  const jobLog = log.child({ queue: queue.name, jobId: job.id, attempt: job.retryCount });
  const isLastAttempt = job.retryCount >= job.retryLimit;
  const context: JobContext = {
    jobId: job.id,
    attempt: job.retryCount,
    isLastAttempt,
    signal: job.signal,
    log: jobLog,
    progress: (update) => writeProgress(db, { id: job.id, queue: queue.name, attempt: job.retryCount }, update),
  };
  const startedAt = performance.now();
  jobLog.debug('job started');
  try {
    const output = await queue.handler(queue.payload.parse(job.data), context);
    jobLog.debug({ ms: Math.round(performance.now() - startedAt) }, 'job completed');
    // pg-boss stores an object as the output; anything else is wrapped so it survives the trip.
    return output === undefined || output === null || typeof output === 'object' ? output : { value: output };
  } catch (error) {
    const ms = Math.round(performance.now() - startedAt);
    if (isLastAttempt) jobLog.error({ err: error, ms }, 'job failed for good');
    else jobLog.warn({ err: error, ms }, 'job failed; it will be retried');
    throw error;
  }
}
