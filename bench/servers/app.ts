import http from 'node:http';
import { loadConfig } from '@shared/config.ts';
import { closeHttpServer, handleShutdown } from '@shared/lifecycle.ts';
import { createServices } from '@shared/services.ts';
import { createApp } from '../../rest-api/app.ts';
import { announcePort } from './announce.ts';

/**
 * The real REST app, built as rest-api/main.ts builds it (config from the environment, services
 * migrating the database at start, the same shutdown steps), announcing its port to the bench.
 */
const config = loadConfig();
const services = await createServices(config);
const server = http.createServer(createApp(services));
await services.jobs.start();
server.listen(config.PORT, config.HOST, () => announcePort(server));
handleShutdown(services.log, config.SHUTDOWN_TIMEOUT_MS, [
  { name: 'http', run: () => closeHttpServer(server) },
  { name: 'services', run: () => services.close() },
]);
