import type { ServerResponse } from 'node:http';
import type { Extension, onRequestPayload } from '@hocuspocus/server';
import type { Registry } from 'prom-client';
import { isDbReady } from '@shared/db.ts';
import type { Logger } from '@shared/logger.ts';
import type { Services } from '@shared/services.ts';

interface OperationsExtensionOptions {
  services: Pick<Services, 'db' | 'bus' | 'log'>;
  metrics: Registry;
}

/**
 * Plain HTTP on the collab port: `/healthz`, `/readyz` and `/metrics`, the same contract as the REST
 * API's health module. Every other HTTP request gets a JSON 404 instead of Hocuspocus' welcome page.
 * WebSocket upgrades never reach onRequest, so this cannot get in the way of a provider.
 */
export class OperationsExtension implements Extension {
  readonly extensionName = 'OperationsExtension';
  private readonly log: Logger;

  constructor(private readonly options: OperationsExtensionOptions) {
    this.log = options.services.log.child({ module: 'collab.http' });
  }

  async onRequest({ request, response }: onRequestPayload): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://collab').pathname;
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        sendJson(response, 405, { error: { code: 'method_not_allowed', message: 'Method not allowed' } });
      } else if (path === '/healthz') {
        sendJson(response, 200, { status: 'ok' });
      } else if (path === '/readyz') {
        await this.readiness(response);
      } else if (path === '/metrics') {
        response.writeHead(200, { 'Content-Type': this.options.metrics.contentType });
        response.end(await this.options.metrics.metrics());
      } else {
        sendJson(response, 404, { error: { code: 'not_found', message: 'Not found' } });
      }
    } catch (error) {
      // Server.ts rethrows hook errors from an async request handler, which would crash the process.
      this.log.error({ err: error, path }, 'operations request failed');
      if (!response.headersSent) sendJson(response, 500, { error: { code: 'internal_error', message: 'Internal error' } });
      else response.destroy();
    }
    // An empty rejection is Hocuspocus' "handled": it stops later hooks and the default reply. Any reason
    // given, an Error included, is rethrown there (Server.ts › requestHandler: `if (error) throw error`).
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the empty rejection is that contract
    return Promise.reject();
  }

  private async readiness(response: ServerResponse): Promise<void> {
    const { db, bus } = this.options.services;
    const [database, busReady] = await Promise.all([isDbReady(db), bus.isReady()]);
    const ready = database && busReady;
    sendJson(response, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks: { database, bus: busReady } });
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}
