import { z } from 'zod';
import { JOB_STATES } from '@shared/jobs/jobOverview.ts';
import { pageQuery } from '../../http/pagination.ts';

export const ListJobsSchema = z.object({
  query: pageQuery('timestamp', 'id').extend({
    queue: z
      .string()
      .regex(/^[\w.-]{1,100}$/, 'must be a queue name')
      .optional()
      .describe('Only failed jobs of this queue'),
  }),
});
export type ListJobsReq = z.infer<typeof ListJobsSchema>;

const Counts = z.object(
  Object.fromEntries(JOB_STATES.map((state) => [state, z.number().int()])) as Record<(typeof JOB_STATES)[number], z.ZodNumber>,
);

export const JobOverviewSchema = z
  .object({
    data: z.object({
      queues: z.array(
        z.object({ name: z.string(), counts: Counts.describe('Jobs kept, by state (finished jobs are deleted after 7 days)') }),
      ),
      failed: z
        .array(
          z.object({
            id: z.uuid(),
            queue: z.string(),
            error: z.string().describe("The last attempt's error message"),
            retryCount: z.number().int(),
            failedAt: z.iso.datetime(),
          }),
        )
        .describe('Jobs that failed for good, latest first; this list is what `pagination` pages'),
    }),
    pagination: z.object({
      nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page of failed jobs; null on the last page'),
    }),
  })
  .meta({ id: 'JobOverview' });
