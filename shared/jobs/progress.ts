import type { Knex } from 'knex';
import type { JobProgressUpdate } from './defineQueue.ts';

/** A job's last reported progress. */
export interface JobProgress {
  jobId: string;
  queue: string;
  percent: number | null;
  message: string | null;
  /** The attempt that reported it: 0 on the first run, higher after a retry. */
  attempt: number;
  updatedAt: Date;
}

interface ProgressRow {
  job_id: string;
  queue: string;
  percent: number | null;
  message: string | null;
  attempt: number;
  updated_at: Date;
}

/** How long progress rows outlive their last update: as long as pg-boss keeps a finished job (7 days). */
const PROGRESS_KEPT_DAYS = 7;

/** Records a job's progress; a later report replaces an earlier one, a retry's replaces the failed run's. */
export async function writeProgress(
  db: Knex,
  job: { id: string; queue: string; attempt: number },
  update: JobProgressUpdate,
): Promise<void> {
  if (update.percent !== undefined && !(update.percent >= 0 && update.percent <= 100)) {
    throw new RangeError(`progress percent must be from 0 to 100, got ${update.percent}`);
  }
  await db('job_progress')
    .insert({
      job_id: job.id,
      queue: job.queue,
      attempt: job.attempt,
      percent: update.percent === undefined ? null : Math.round(update.percent),
      message: update.message ?? null,
      updated_at: db.fn.now(),
    })
    .onConflict('job_id')
    .merge();
}

/** A job's last reported progress, or undefined when its handler has reported none. */
export async function readProgress(db: Knex, jobId: string): Promise<JobProgress | undefined> {
  const row = await db<ProgressRow>('job_progress').where({ job_id: jobId }).first();
  if (!row) return undefined;
  return {
    jobId: row.job_id,
    queue: row.queue,
    percent: row.percent,
    message: row.message,
    attempt: row.attempt,
    updatedAt: row.updated_at,
  };
}

/** Deletes progress nobody has updated for a week: pg-boss has deleted those jobs by then. */
export async function pruneProgress(db: Knex): Promise<number> {
  return db('job_progress')
    .where('updated_at', '<', db.raw(`now() - interval '${PROGRESS_KEPT_DAYS} days'`))
    .delete();
}
