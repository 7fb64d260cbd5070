import type { Registry } from 'prom-client';
import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { DatabaseStatusSchema } from './failover.schemas.ts';
import { findDatabaseStatus } from './findDatabaseStatus.ts';
import { registerFailoverMetrics } from './failoverMetrics.ts';

const tag = 'operations';

/** The database's high availability as an operator sees it, beside the backups of /api/dr; and its gauges. */
export function failoverRoutes(api: ApiRouter, services: Services, metrics: Registry): void {
  registerFailoverMetrics(metrics, services);

  api.route(
    {
      method: 'get',
      path: '/api/dr/status',
      tag,
      auth: 'operator',
      summary: 'Database high availability: the primary, its standbys (lag, synchronous or not) and the last failover',
      responses: { 200: { description: 'The status', schema: DatabaseStatusSchema } },
    },
    async (_req, res) => {
      res.json({ data: await findDatabaseStatus(services.db) });
    },
  );
}
