import type { Registry } from 'prom-client';
import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { DatabaseStatusSchema, RegionsSchema, SwitchoverRequestSchema, SwitchoverResponseSchema } from './failover.schemas.ts';
import { isCallerOperator } from './isCallerOperator.ts';
import { presentRegions } from './presentRegions.ts';
import { startRegionHealthChecker } from './startRegionHealthChecker.ts';
import { performSwitchover } from './performSwitchover.ts';
import { findDatabaseStatus } from './findDatabaseStatus.ts';
import { registerFailoverMetrics } from './failoverMetrics.ts';

const tag = 'operations';

/**
 * The database's high availability as an operator sees it, beside the backups of /api/dr; its gauges; the
 * planned switchover; and the regions with their health, which this starts checking when REGIONS is set.
 */
export function failoverRoutes(api: ApiRouter, services: Services, metrics: Registry): void {
  registerFailoverMetrics(metrics, services);
  const regionChecker = startRegionHealthChecker(services);

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

  api.route(
    {
      method: 'post',
      path: '/api/dr/switchover',
      tag,
      auth: 'operator',
      summary: 'Planned switchover (RPO 0): the pg_auto_failover monitor promotes a standby; answers once writes are accepted on it',
      request: SwitchoverRequestSchema,
      responses: { 200: { description: 'Writes go to the new primary', schema: SwitchoverResponseSchema } },
      errors: [404, 409, 501, 503, 504],
    },
    async (req, res) => {
      const { db, config, log } = services;
      const switchover = await performSwitchover({ db, config, log, actorId: req.actor.id, target: req.input.body.target, ip: req.ip });
      res.json({ data: switchover });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/dr/regions',
      tag,
      auth: false,
      summary:
        "The deployment's regions with their health and database role, from this node's latest checks; " +
        "an operator's token adds database hosts and each check's answer",
      responses: { 200: { description: 'The regions (empty with a single region)', schema: RegionsSchema } },
    },
    async (req, res) => {
      const isOperator = await isCallerOperator(req, services);
      const { REGION, REGIONS } = services.config;
      res.json({ data: presentRegions({ self: REGION, configured: REGIONS, latest: regionChecker?.latest() ?? [], isOperator }) });
    },
  );
}
