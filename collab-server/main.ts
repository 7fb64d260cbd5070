import { loadConfig } from '@shared/config.ts';
import { createServices } from '@shared/services.ts';
import { handleShutdown } from '@shared/lifecycle.ts';
import { createCollabServer } from './server.ts';

/** Runs the collaboration server alone, against PostgreSQL. `npm start` runs it beside the REST API instead. */
const config = loadConfig();
if (!config.DATABASE_URL) {
  process.stderr.write(
    'Invalid configuration: DATABASE_URL is required to run the collab server on its own (npm start embeds a database)\n',
  );
  process.exit(1);
}
const services = await createServices(config);
const collab = createCollabServer(services);
handleShutdown(services.log, config.SHUTDOWN_TIMEOUT_MS, [
  { name: 'collab', run: () => collab.close() },
  { name: 'services', run: () => services.close() },
]);
const port = await collab.listen(config.COLLAB_PORT, config.HOST);
services.log.info({ port }, 'collab-server listening');
