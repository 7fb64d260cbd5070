import type { Connection, Document } from '@hocuspocus/server';
import type { CollabContext } from './extensions/AuthExtension.ts';

/**
 * A document's connections, typed with this server's context. Hocuspocus's Document is not generic over
 * the context (its connections are `Connection<any>`); here a connection is attached to a document only
 * once AuthExtension has authenticated it, so its context is a CollabContext.
 */
export function connectionsOf(document: Document): Connection<CollabContext>[] {
  return document.getConnections() as Connection<CollabContext>[];
}
