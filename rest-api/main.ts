import http from 'node:http';
import { loadConfig } from '@shared/config.ts';
import { createServices } from '@shared/services.ts';
import { closeHttpServer, handleShutdown } from '@shared/lifecycle.ts';
import { createApp } from './app.ts';
import { attachVoiceStream } from './modules/voice/voiceStream.ts';

/** Runs the REST API alone, against PostgreSQL. `npm start` runs it beside the collab server instead. */
const config = loadConfig();
if (!config.DATABASE_URL) {
  process.stderr.write('Invalid configuration: DATABASE_URL is required to run the REST API on its own (npm start embeds a database)\n');
  process.exit(1);
}
const services = await createServices(config);
const server = http.createServer(createApp(services));
attachVoiceStream(server, services);
await services.jobs.start();
services.sandbox.warmUp(services.log);
server.listen(config.PORT, config.HOST, () => {
  const address = server.address();
  services.log.info({ port: typeof address === 'object' ? address?.port : config.PORT }, 'rest-api listening');
});
handleShutdown(services.log, config.SHUTDOWN_TIMEOUT_MS, [
  { name: 'http', run: () => closeHttpServer(server) },
  { name: 'services', run: () => services.close() },
]);
