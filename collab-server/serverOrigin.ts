import type { LocalTransactionOrigin } from '@hocuspocus/server';

/**
 * The transaction origin of every change the server itself makes to a document: a REST message arriving
 * through the bus, the messages table reconciled on load, duplicate entries removed, entries a client
 * tampered with re-created, a rename or a draft edit made through the API. It is a Hocuspocus `local`
 * origin: the change is broadcast to clients, published to other nodes through Redis, logged and stored
 * like any other, but it is no client's edit.
 */
export const serverOrigin = (reason: 'bus' | 'load' | 'dedupe' | 'restore' | 'rename' | 'draft'): LocalTransactionOrigin => ({
  source: 'local',
  context: { server: reason },
});
