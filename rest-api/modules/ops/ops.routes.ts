import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { findJobOverview } from './findJobOverview.ts';
import { JobOverviewSchema, ListJobsSchema } from './ops.schemas.ts';

const tag = 'ops';

/** Running the deployment: operators only (`auth: 'operator'`), every call audited. */
export function opsRoutes(api: ApiRouter, services: Services): void {
  const { db } = services;

  api.route(
    {
      method: 'get',
      path: '/api/ops/jobs',
      tag,
      auth: 'operator',
      summary: 'Background jobs: every queue counted by state, and the jobs that failed for good (paginated)',
      request: ListJobsSchema,
      responses: { 200: { description: 'The jobs overview', schema: JobOverviewSchema } },
    },
    async (req, res) => {
      const { limit, cursor, queue } = req.input.query;
      res.json(await findJobOverview(db, { limit, after: cursor, queue }));
    },
  );
}
