import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import type { Struct } from './locateStructs.ts';

/** A delete set as plain ranges: client → [clock, length] pairs. */
export type DeleteRanges = Map<number, Array<[number, number]>>;

/**
 * Encodes structs and deletions as a v1 update, the format y-protocols carries. Yjs exports the pieces
 * (each struct's `write`, UpdateEncoderV1) but not the framing, which is written here exactly as
 * Yjs's own writeStructs and writeDeleteSet do (yjs/src/utils/encoding.js, DeleteSet.js): per client,
 * the struct count, the client, the first clock, then the structs; then the delete set.
 */
export function encodeUpdate(structsByClient: Iterable<[number, readonly Struct[]]>, deletions: DeleteRanges): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  const groups = [...structsByClient].filter(([, structs]) => structs.length > 0).sort((a, b) => b[0] - a[0]);
  encoding.writeVarUint(encoder.restEncoder, groups.length);
  for (const [client, structs] of groups) {
    encoding.writeVarUint(encoder.restEncoder, structs.length);
    encoder.writeClient(client);
    encoding.writeVarUint(encoder.restEncoder, structs[0]!.id.clock);
    for (const struct of structs) struct.write(encoder, 0);
  }
  const clients = [...deletions].filter(([, ranges]) => ranges.length > 0).sort((a, b) => b[0] - a[0]);
  encoding.writeVarUint(encoder.restEncoder, clients.length);
  for (const [client, ranges] of clients) {
    encoder.resetDsCurVal();
    encoding.writeVarUint(encoder.restEncoder, client);
    encoding.writeVarUint(encoder.restEncoder, ranges.length);
    for (const [clock, length] of ranges) {
      encoder.writeDsClock(clock);
      encoder.writeDsLen(length);
    }
  }
  return encoder.toUint8Array();
}
