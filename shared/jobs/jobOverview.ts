import type { Knex } from 'knex';

/** The schema pg-boss installs itself into (its default, named here so the SQL below and Jobs agree). */
export const JOBS_SCHEMA = 'pgboss';

/** pg-boss's job states, in the order a job moves through them. */
export const JOB_STATES = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A queue and how many of its jobs are in each state. */
export interface QueueCounts {
  name: string;
  counts: Record<JobState, number>;
}

/** A job that failed for good: every attempt threw, or its last attempt's process died. */
export interface FailedJob {
  id: string;
  queue: string;
  /** The last attempt's error message. */
  error: string;
  retryCount: number;
  failedAt: Date;
}

/**
 * Where a page of failed jobs ends: the next page starts after this job. `failedAt` is the exact
 * timestamp as text (`…T12:00:00.123456Z`): PostgreSQL keeps microseconds, and a key cut to a
 * JavaScript Date's milliseconds would skip jobs that failed in the same millisecond.
 */
export interface FailedJobKey {
  failedAt: string;
  id: string;
}

/**
 * Every queue with its jobs counted by state, by name. Counted from the job table itself rather than
 * pg-boss's cached queue counts, which lag by up to a monitor interval; pg-boss deletes finished jobs
 * after a week, so the table stays small enough to count.
 */
export async function listQueueCounts(db: Knex): Promise<QueueCounts[]> {
  const { rows } = await db.raw<{ rows: Array<{ name: string; state: JobState | null; count: string }> }>(
    `select q.name, j.state, count(j.id) as count
       from ${JOBS_SCHEMA}.queue q left join ${JOBS_SCHEMA}.job j on j.name = q.name
      where q.name not like '\\_\\_pgboss\\_\\_%'
      group by q.name, j.state
      order by q.name`,
  );
  const queues = new Map<string, QueueCounts>();
  for (const row of rows) {
    const queue = queues.get(row.name) ?? {
      name: row.name,
      counts: Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<JobState, number>,
    };
    if (row.state) queue.counts[row.state] = Number(row.count);
    queues.set(row.name, queue);
  }
  return [...queues.values()];
}

/** Failed jobs, latest first, optionally of one queue; `next` is set when there are more after this page. */
export async function listFailedJobs(
  db: Knex,
  page: { limit: number; after?: FailedJobKey; queue?: string },
): Promise<{ rows: FailedJob[]; next?: FailedJobKey }> {
  const query = db
    .withSchema(JOBS_SCHEMA)
    .from('job')
    .where({ state: 'failed' })
    .orderBy([
      { column: 'completed_on', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(page.limit + 1)
    .select<
      Array<{ id: string; name: string; output: { message?: unknown } | null; retry_count: number; completed_on: Date; failed_key: string }>
    >(
      'id',
      'name',
      'output',
      'retry_count',
      'completed_on',
      db.raw(`to_char(completed_on at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as failed_key`),
    );
  if (page.queue) query.where({ name: page.queue });
  if (page.after) query.whereRaw('(completed_on, id) < (?::timestamptz, ?::uuid)', [page.after.failedAt, page.after.id]);
  const found = await query;
  const kept = found.slice(0, page.limit);
  const rows = kept.map((row) => ({
    id: row.id,
    queue: row.name,
    error: typeof row.output?.message === 'string' ? row.output.message : 'unknown error',
    retryCount: row.retry_count,
    failedAt: row.completed_on,
  }));
  const last = kept.at(-1);
  return { rows, ...(found.length > page.limit && last ? { next: { failedAt: last.failed_key, id: last.id } } : {}) };
}
