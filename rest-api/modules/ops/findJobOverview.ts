import type { Knex } from 'knex';
import { listFailedJobs, listQueueCounts } from '@shared/jobs/jobOverview.ts';
import { encodeCursor } from '../../http/pagination.ts';

interface Props {
  /** Failed jobs per page. */
  limit: number;
  /** Where the previous page ended: its last failed job's time (to the microsecond) and id. */
  after?: readonly [failedAt: string, id: string];
  /** Only failed jobs of this queue. */
  queue?: string;
}

/** Every queue's jobs counted by state, and a page of failed jobs, latest first: the operator's view of the jobs. */
export async function findJobOverview(db: Knex, props: Props) {
  const queues = await listQueueCounts(db);
  const after = props.after && { failedAt: props.after[0], id: props.after[1] };
  const failed = await listFailedJobs(db, { limit: props.limit, queue: props.queue, after });
  return {
    data: {
      queues,
      failed: failed.rows.map((job) => ({ ...job, failedAt: job.failedAt.toISOString() })),
    },
    pagination: { nextCursor: failed.next ? encodeCursor([failed.next.failedAt, failed.next.id]) : null },
  };
}
