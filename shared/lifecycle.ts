import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from './logger.ts';

/** One step of an orderly stop: a name for the log and the work. */
export interface ShutdownStep {
  name: string;
  run: () => Promise<void>;
}

/**
 * On SIGTERM or SIGINT, runs the steps in order (stop accepting, finish in-flight work, flush, close
 * the database) and exits 0; past `timeoutMs` it exits 1 rather than hang. A crash (uncaught exception
 * or unhandled rejection) is logged at fatal and exits 1: the supervisor restarts a clean process.
 */
export function handleShutdown(log: Logger, timeoutMs: number, steps: ShutdownStep[]): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    let code = 0;
    for (const step of steps) {
      try {
        await step.run();
        log.info({ step: step.name }, 'shutdown step done');
      } catch (error) {
        code = 1;
        log.error({ err: error, step: step.name }, 'shutdown step failed');
      }
    }
    log.info({ code }, 'stopped');
    process.exit(code);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  const crash = (kind: string) => (error: unknown) => {
    log.fatal({ err: error }, kind);
    process.exit(1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));
}

/** How often a closing server drops the kept-alive connections that have gone idle since the last time. */
const DROP_IDLE_EVERY_MS = 100;

/**
 * Closes an http server: stops accepting, lets in-flight requests finish, and ends each kept-alive
 * connection once it is idle. `server.close()` alone drops only the connections idle at that moment. One
 * that is busy then stays open, and a client that keeps polling on it (a load balancer's health check,
 * another region's check) keeps it busy for ever, so the shutdown never got past this step. So answers
 * given from here on say `Connection: close`, and idle connections are dropped until none is left.
 */
export function closeHttpServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    // Before the app's own listener, so the header is set before anything is answered.
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => res.setHeader('connection', 'close'));
    const dropIdle = setInterval(() => server.closeIdleConnections(), DROP_IDLE_EVERY_MS);
    server.close((error) => {
      clearInterval(dropIdle);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
