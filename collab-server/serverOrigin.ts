import type { LocalTransactionOrigin } from '@hocuspocus/server';

/**
 * The transaction origin of every change the server itself makes to a document (a REST message arriving
 * through the bus, the messages table reconciled on load or after a client touched it). It is a Hocuspocus `local` origin: the change
 * is broadcast to clients, published to other nodes through Redis and stored like any other, but it is
 * no client's edit, so the update log (which records what clients send) never sees it.
 */
export const serverOrigin = (reason: 'bus' | 'load' | 'reconcile' | 'dedupe'): LocalTransactionOrigin => ({ source: 'local', context: { server: reason } });
