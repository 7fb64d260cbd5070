import { OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { ApiRouter } from './apiRouter.ts';

/** The OpenAPI 3.1 document for everything the router serves. */
export function buildOpenApiDocument(api: ApiRouter, serverUrl: string) {
  return new OpenApiGeneratorV31(api.registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'TwinMCP Collab API',
      version: '1',
      description: 'Accounts, conversations and messages. Errors are `{ error: { code, message } }`.',
    },
    servers: [{ url: serverUrl }],
  });
}

/** What buildOpenApiDocument returns (and createApp keeps in `app.locals.openApiDocument`). */
export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
