import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@shared/config.ts';
import { createServices } from '@shared/services.ts';
import { closeHttpServer, handleShutdown } from '@shared/lifecycle.ts';
import { createApp } from './rest-api/app.ts';
import { attachVoiceStream } from './rest-api/modules/voice/voiceStream.ts';
import { createCollabServer } from './collab-server/server.ts';

/**
 * `npm start`: the REST API and the collab server in one process, on the embedded defaults (PGlite
 * under DATA_DIR unless DATABASE_URL is set). PGlite serves one process, which is why the two
 * servers share one set of services here instead of running apart.
 */
const config = loadConfig();
const services = await createServices(config);
const rest = http.createServer(createApp(services));
attachVoiceStream(rest, services);
await services.jobs.start();
services.sandbox.warmUp(services.log);
const collab = createCollabServer(services);
// Order matters: stop taking REST writes, then close (and store) documents, then close the database.
handleShutdown(services.log, config.SHUTDOWN_TIMEOUT_MS, [
  { name: 'http', run: () => closeHttpServer(rest) },
  { name: 'collab', run: () => collab.close() },
  { name: 'services', run: () => services.close() },
]);

await new Promise<void>((resolve, reject) => {
  rest.once('error', reject);
  rest.listen(config.PORT, config.HOST, resolve);
});
const restPort = (rest.address() as AddressInfo).port;
const collabPort = await collab.listen(config.COLLAB_PORT, config.HOST);

// 0.0.0.0 and :: are bind-all addresses, not somewhere a browser can go.
const publicHost = ['0.0.0.0', '::'].includes(config.HOST) ? 'localhost' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
services.log.info({ port: restPort, url: `http://${publicHost}:${restPort}` }, 'rest-api listening');
services.log.info({ port: collabPort, url: `ws://${publicHost}:${collabPort}` }, 'collab-server listening');
services.log.info(
  { database: config.DATABASE_URL ? 'postgresql' : 'pglite', bus: config.REDIS_URL ? 'redis' : 'memory' },
  'TwinMCP Collab started',
);
