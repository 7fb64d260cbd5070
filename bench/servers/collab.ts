import { loadConfig } from '@shared/config.ts';
import { handleShutdown } from '@shared/lifecycle.ts';
import { createServices } from '@shared/services.ts';
import { createCollabServer } from '../../collab-server/server.ts';
import { announcePort, memoryAfterGc, onCommand } from './announce.ts';

/**
 * Our collab server, built as collab-server/main.ts builds it (config from the environment, services
 * migrating the database at start, the same shutdown steps), announcing its port to the bench.
 * Commands: `memory` (after GC; needs --expose-gc), `documents` (how many are loaded).
 */
const config = loadConfig();
const services = await createServices(config);
const collab = createCollabServer(services);
handleShutdown(services.log, config.SHUTDOWN_TIMEOUT_MS, [
  { name: 'collab', run: () => collab.close() },
  { name: 'services', run: () => services.close() },
]);
const port = await collab.listen(0, '127.0.0.1');
onCommand((command) => (command === 'memory' ? memoryAfterGc() : collab.hocuspocus.getDocumentsCount()));
announcePort(port);
