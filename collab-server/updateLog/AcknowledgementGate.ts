import type { Connection } from '@hocuspocus/server';
import * as decoding from 'lib0/decoding';

/** Hocuspocus's MessageType.SyncStatus: "your update was applied", which providers count as saved. */
const SYNC_STATUS = 8;

/**
 * Holds a connection's acknowledgements until what they acknowledge is committed, without holding
 * anything else.
 *
 * Hocuspocus handles a connection's messages one at a time and acknowledges each update or sync step
 * (a SyncStatus message) as soon as it is applied. Awaiting the update-log commit inside `beforeSync`
 * would make that honest, but would also keep a typist's next keystroke from reaching anyone until the
 * previous one was on disk. So `gate` wraps the connection's `send`: every message goes out at once
 * except SyncStatus, which waits for `committed()` as it stood when the acknowledgement was sent, and
 * is dropped if that failed (the connection is being closed; its provider will send again).
 * Acknowledgements keep their order: each waits for a commit no earlier than the one before it.
 */
export class AcknowledgementGate {
  private readonly gated = new WeakSet<Connection>();

  gate(connection: Connection, committed: () => Promise<boolean>): void {
    if (this.gated.has(connection)) return;
    this.gated.add(connection);
    const send = connection.send.bind(connection);
    connection.send = (message: Uint8Array) => {
      if (!isSyncStatus(message)) return send(message);
      void committed().then((ok) => {
        if (ok) send(message);
      });
    };
  }
}

/** True for a SyncStatus message: a var-string address, then the message type. */
function isSyncStatus(message: Uint8Array): boolean {
  try {
    const decoder = decoding.createDecoder(message);
    const addressLength = decoding.readVarUint(decoder);
    decoder.pos += addressLength;
    return decoding.readVarUint(decoder) === SYNC_STATUS;
  } catch {
    return false;
  }
}
