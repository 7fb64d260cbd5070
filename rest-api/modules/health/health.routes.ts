import { z } from 'zod';
import type { Registry } from 'prom-client';
import { isDbReady } from '@shared/db.ts';
import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';

const ReadinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({ database: z.boolean(), bus: z.boolean() }),
});

/** Liveness, readiness and Prometheus metrics: what an orchestrator and a scraper need. */
export function healthRoutes(api: ApiRouter, services: Services, metrics: Registry): void {
  api.route(
    {
      method: 'get',
      path: '/healthz',
      tag: 'operations',
      auth: false,
      summary: 'Liveness: the process answers',
      responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
    },
    (_req, res) => res.json({ status: 'ok' }),
  );

  api.route(
    {
      method: 'get',
      path: '/readyz',
      tag: 'operations',
      auth: false,
      summary: 'Readiness: the database and the bus answer',
      responses: {
        200: { description: 'Ready', schema: ReadinessSchema },
        503: { description: 'A dependency does not answer', schema: ReadinessSchema },
      },
    },
    async (_req, res) => {
      const [database, bus] = await Promise.all([isDbReady(services.db), services.bus.isReady()]);
      const ready = database && bus;
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { database, bus } });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/metrics',
      tag: 'operations',
      auth: false,
      summary: 'Prometheus metrics',
      responses: { 200: { description: 'Prometheus text format', schema: z.string(), contentType: 'text/plain' } },
    },
    async (_req, res) => {
      res.setHeader('Content-Type', metrics.contentType);
      res.send(await metrics.metrics());
    },
  );
}
