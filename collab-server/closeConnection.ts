import type { Connection } from '@hocuspocus/server';

/** Why the server ended a connection. The provider receives it as the close reason; clients branch on it. */
export type CloseReason =
  'share_revoked' | 'access_revoked' | 'access_changed' | 'conversation_deleted' | 'session_revoked' | 'storage_unavailable';

/** WebSocket close codes: 1013 "try again later" when the fault is ours, 4403 when access ended. */
const CODES: Partial<Record<CloseReason, number>> = { storage_unavailable: 1013 };

/**
 * Ends a client's connection to a document and drops its socket. The Hocuspocus close message carries
 * the reason to the provider (its `close` event); closing the socket then makes the provider reconnect,
 * so it authenticates again and learns where it stands now: refused, or accepted with its new scope.
 * Other documents multiplexed on the same socket reconnect too, transparently.
 */
export function closeConnection(connection: Connection, reason: CloseReason): void {
  const code = CODES[reason] ?? 4403;
  connection.close({ code, reason });
  connection.webSocket.close(code, reason);
}
