import express from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Services } from '@shared/services.ts';
import { createHttpDurationHistogram, createMetricsRegistry } from '@shared/metrics.ts';
import './http/types.ts';
import { ApiRouter } from './http/apiRouter.ts';
import { startIdempotencySweep } from './http/idempotency/startIdempotencySweep.ts';
import { deviceRoutes } from './modules/devices/devices.routes.ts';
import { buildOpenApiDocument } from './http/openapi.ts';
import { createAuthenticate } from './middleware/authenticate.ts';
import { createRequireOperator } from './middleware/requireOperator.ts';
import { createErrorHandler, notFoundHandler, requireJsonBody } from './middleware/errorHandler.ts';
import { recordRequestMetrics } from './middleware/metrics.ts';
import { requestLogger } from './middleware/requestLogger.ts';
import { createLimitMediaPerUser } from './middleware/limitMediaPerUser.ts';
import { serveWebClient } from './middleware/webClient.ts';
import { healthRoutes } from './modules/health/health.routes.ts';
import { authRoutes } from './modules/auth/auth.routes.ts';
import { conversationRoutes } from './modules/conversations/conversations.routes.ts';
import { workspaceRoutes } from './modules/workspaces/workspaces.routes.ts';
import { shareRoutes } from './modules/shares/shares.routes.ts';
import { attachmentRoutes } from './modules/attachments/attachments.routes.ts';
import { opsRoutes } from './modules/ops/ops.routes.ts';
import { codeRoutes } from './modules/code/code.routes.ts';
import { voiceRoutes } from './modules/voice/voice.routes.ts';
import { imageRoutes } from './modules/images/images.routes.ts';
import { serviceAccountRoutes } from './modules/serviceAccounts/serviceAccounts.routes.ts';
import { ServiceAccountKeys } from './modules/serviceAccounts/ServiceAccountKeys.ts';
import { registerEmailJobs } from './modules/email/registerEmailJobs.ts';
import { mcpRoutes } from './modules/mcp/mcp.routes.ts';
import { pluginRoutes, type PluginRouteOptions } from './modules/plugins/plugins.routes.ts';
import { drRoutes } from './modules/dr/dr.routes.ts';
import { failoverRoutes } from './modules/failover/failover.routes.ts';
import { retryReadsAfterFailover } from './modules/failover/retryReadsAfterFailover.ts';
import { registerDrJobs } from './modules/dr/drQueues.ts';
import { rejectWritesDuringRestore } from './modules/dr/readOnlyDuringRestore.ts';

/** Largest JSON body accepted; larger ones answer 413 before they are parsed. */
export const JSON_BODY_LIMIT = '1mb';

/** The largest body `POST /api/code/execute` parses; the fields' own limits are checked, with their own 413, past it. */
const codeRunBodyLimit = (config: Services['config']) =>
  Math.max(1_048_576, 2 * (config.CODE_EXEC_CODE_BYTES + config.CODE_EXEC_STDIN_BYTES) + 65_536);

/** What the app is built with beyond the services: parts that are plugged in when they exist. */
export interface AppOptions {
  /** The plugin runtime; without one, tools answer 503 `plugins_unavailable`. */
  plugins?: PluginRouteOptions;
}

/** Builds the REST application without listening, so tests and the combined process can mount it. */
export function createApp(services: Services, options: AppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', services.config.TRUST_PROXY_HOPS);
  const metrics = createMetricsRegistry('rest-api');

  app.use(requestLogger(services.log));
  app.use(recordRequestMetrics(createHttpDurationHistogram(metrics)));
  // First of all that can write: while a restore replaces the database, nothing else may change it.
  app.use(rejectWritesDuringRestore(services));
  // `api` is read per request, once the routes below have registered their uploads.
  app.use(requireJsonBody((req) => api.acceptsMultipart(req)));
  // A run carries its program and its stdin, each up to its own limit, JSON-escaped (up to 6 bytes a byte).
  app.use('/api/code/execute', express.json({ limit: codeRunBodyLimit(services.config) }));
  app.use(express.json({ limit: JSON_BODY_LIMIT }));

  // One per app, remembered keys and all: revocations reach it through the bus.
  const serviceAccountKeys = new ServiceAccountKeys(services.db, services.bus, services.log.child({ module: 'serviceAccounts' }));
  services.beforeClose(async () => serviceAccountKeys.close());
  const api = new ApiRouter(createAuthenticate(services.accessTokens, serviceAccountKeys), {
    checkResponses: services.config.NODE_ENV === 'test',
    requireOperator: createRequireOperator(services),
    idempotency: { db: services.db, log: services.log.child({ module: 'idempotency' }) },
  });
  startIdempotencySweep(services);
  healthRoutes(api, services, metrics);
  authRoutes(api, services);
  conversationRoutes(api, services);
  workspaceRoutes(api, services);
  shareRoutes(api, services);
  attachmentRoutes(api, services);
  opsRoutes(api, services);
  codeRoutes(api, services, metrics);
  const limitMedia = createLimitMediaPerUser(services);
  voiceRoutes(api, services, metrics, limitMedia);
  imageRoutes(api, services, metrics, limitMedia);
  serviceAccountRoutes(api, services, serviceAccountKeys);
  deviceRoutes(api, services);
  drRoutes(api, services);
  failoverRoutes(api, services, metrics);
  const pluginTools = pluginRoutes(api, services, options.plugins);
  // Queues are defined while the app is built; the process starts them (services.jobs.start()) once it is.
  registerEmailJobs(services);
  registerDrJobs(services);
  // After every API route: reads cut off by a database failover run again on the new primary.
  api.router.use(retryReadsAfterFailover(services.db, api.router));
  app.use(api.router);
  mcpRoutes(app, services, { serviceAccountKeys, metrics, registry: api.registry, toolSources: [pluginTools] });

  const document = buildOpenApiDocument(api, services.config.APP_URL);
  // ops/writeApiTypes.ts reads it here: the web client's types come from the very document served below.
  app.locals.openApiDocument = document;
  app.get('/api/openapi.json', (_req, res) => res.json(document));
  app.use('/api/docs', swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'TwinMCP Collab API' }));

  // After every API route, before the 404: the browser client for any other page a browser asks for.
  app.use(serveWebClient(services.config, services.log));
  app.use(notFoundHandler);
  app.use(createErrorHandler(services.log));
  return app;
}
