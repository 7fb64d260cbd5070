import type { Knex } from 'knex';
import { ValidationError } from '@shared/errors.ts';
import { listFailedJobs, listQueueCounts, type FailedJobKey } from '@shared/jobs/jobOverview.ts';

interface Props {
  /** Failed jobs per page. */
  limit: number;
  /** Where the previous page ended (its `nextCursor`). */
  cursor?: string;
  /** Only failed jobs of this queue. */
  queue?: string;
}

/** Every queue's jobs counted by state, and a page of failed jobs, latest first: the operator's view of the jobs. */
export async function findJobOverview(db: Knex, props: Props) {
  const queues = await listQueueCounts(db);
  const failed = await listFailedJobs(db, { limit: props.limit, queue: props.queue, after: decodeFailedJobCursor(props.cursor) });
  return {
    data: {
      queues,
      failed: failed.rows.map((job) => ({ ...job, failedAt: job.failedAt.toISOString() })),
    },
    pagination: { nextCursor: failed.next ? encodeFailedJobCursor(failed.next) : null },
  };
}

/** Opaque keyset cursor over (failed at, id). Clients must not parse it. */
function encodeFailedJobCursor(key: FailedJobKey): string {
  return Buffer.from(`f:${key.failedAt}|${key.id}`).toString('base64url');
}

function decodeFailedJobCursor(cursor: string | undefined): FailedJobKey | undefined {
  if (cursor === undefined) return undefined;
  const match = /^f:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/
    .exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || Number.isNaN(Date.parse(match[1]!))) {
    const message = 'is not a cursor this API issued';
    throw new ValidationError(`query.cursor: ${message}`, { fields: [{ field: 'query.cursor', message }] });
  }
  return { failedAt: match[1]!, id: match[2]! };
}
