import * as Y from 'yjs';
import { DocumentFields } from '@shared/documents/conversationDocument.ts';
import { encodeUpdate, type DeleteRanges } from './encodeUpdate.ts';
import { findInDocument, PlaceResolver, placeOfDocumentItem, UpdateIndex, type Place, type Struct } from './locateStructs.ts';

/** What is left of a client's update once everything it may not change is taken out. */
export interface SanitizedUpdate {
  /** The update to apply: the client's own bytes when nothing had to go, a rewritten update otherwise. */
  update: Uint8Array;
  /** Items taken out (turned into garbage or, in `messages`, into deleted placeholders). */
  removedItems: number;
  /** Deleted ranges taken out: deletions of server-owned content, or of ids nobody has. */
  removedDeletions: number;
  /** Message entries the client tried to change or delete; the server re-creates them so every replica shows them again. */
  tamperedEntries: Y.Map<unknown>[];
}

/** The update does not decode, or is not shaped as any Yjs encoder writes one. */
export class MalformedUpdateError extends Error {}

type Verdict = 'keep' | 'placeholder' | 'drop';

/** Content a Y.Text holds: characters, formatting marks, and what deleting them leaves. */
const isTextContent = (content: unknown) =>
  content instanceof Y.ContentString || content instanceof Y.ContentFormat || content instanceof Y.ContentDeleted;
const isXmlType = (content: unknown) =>
  content instanceof Y.ContentType && (content.type instanceof Y.XmlElement || content.type instanceof Y.XmlText);
/** What TipTap writes inside the draft: XML nodes, their text, marks, attributes and embeds; never binary or sub-documents. */
const isRichTextContent = (content: unknown) =>
  isTextContent(content) || isXmlType(content) || content instanceof Y.ContentAny || content instanceof Y.ContentEmbed;

/**
 * Takes out of a client's update everything a client may not write, before any of it is applied:
 *
 * - `messages` belongs to the server (it mirrors the messages table). A new entry becomes a deleted
 *   placeholder with the same id — the replica that sent it then deletes its copy when the server's
 *   update comes back, so it converges — and everything inside entries, or deletions of live ones,
 *   is taken out; the entries touched are reported so the server can re-create them for that replica.
 * - `title` holds text, and `draft` the XML TipTap writes. Anything else, and any root of another
 *   name, becomes garbage (Yjs's own GC struct: the id is used up, nothing is integrated).
 * - References to ids neither the document nor the update holds would leave the item pending, to be
 *   integrated later without a check; such items and deletions are taken out too.
 *
 * Pure with respect to `doc` (read, never written). Throws MalformedUpdateError on bytes that do not decode.
 */
export function sanitizeClientUpdate(doc: Y.Doc, update: Uint8Array): SanitizedUpdate {
  let decoded: { structs: Struct[]; ds: { clients: Map<number, Array<{ clock: number; len: number }>> } };
  try {
    decoded = Y.decodeUpdate(update);
  } catch (error) {
    throw new MalformedUpdateError('update does not decode', { cause: error });
  }
  const index = new UpdateIndex(decoded.structs);
  if (!index.isContiguous()) throw new MalformedUpdateError('structs overlap or repeat a client');
  const resolver = new PlaceResolver(doc, index);
  const tampered = new Set<Y.Item>();
  let removedItems = 0;

  const structs = new Map<number, Struct[]>();
  for (const [client, list] of index.clients()) {
    const known = Y.getState(doc.store, client);
    structs.set(
      client,
      list.map((struct) => {
        // Integrated already (Yjs skips it) or not an item: nothing to judge.
        if (!(struct instanceof Y.Item) || struct.id.clock + struct.length <= known) return struct;
        const place = resolver.placeOf(struct);
        const verdict = verdictFor(place, struct);
        if (place.kind === 'nested' && place.root === DocumentFields.messages && !place.inUpdate && place.live) tampered.add(place.entry);
        if (verdict === 'keep') return struct;
        removedItems += 1;
        return verdict === 'placeholder'
          ? new Y.Item(
              struct.id,
              null,
              struct.origin,
              null,
              struct.rightOrigin,
              struct.parent,
              struct.parentSub,
              new Y.ContentDeleted(struct.length),
            )
          : new Y.GC(struct.id, struct.length);
      }),
    );
  }

  const deletions: DeleteRanges = new Map();
  let removedDeletions = 0;
  for (const [client, ranges] of decoded.ds.clients) {
    const kept: Array<[number, number]> = [];
    for (const { clock, len } of ranges) {
      removedDeletions += keepAllowedDeletions(doc, index, client, clock, clock + len, kept, tampered);
    }
    deletions.set(client, kept);
  }

  const tamperedEntries = [...tampered]
    .map((item) => (item.content as Y.ContentType).type)
    .filter((type): type is Y.Map<unknown> => type instanceof Y.Map);
  if (removedItems === 0 && removedDeletions === 0) return { update, removedItems, removedDeletions, tamperedEntries };
  return { update: encodeUpdate(structs, deletions), removedItems, removedDeletions, tamperedEntries };
}

function verdictFor(place: Place, item: Y.Item): Verdict {
  if (place.kind === 'root') {
    const atTop = place.parentSub === null;
    if (place.root === DocumentFields.title) return atTop && isTextContent(item.content) ? 'keep' : 'drop';
    if (place.root === DocumentFields.draft)
      return atTop && (isXmlType(item.content) || item.content instanceof Y.ContentDeleted) ? 'keep' : 'drop';
    if (place.root === DocumentFields.messages) return atTop ? 'placeholder' : 'drop';
    return 'drop';
  }
  if (place.kind === 'nested' && place.root === DocumentFields.draft) return isRichTextContent(item.content) ? 'keep' : 'drop';
  return 'drop';
}

/**
 * Copies into `kept` the parts of one deleted range the client may delete; returns how many clocks it
 * left out. A client may delete what its own update adds, anything already deleted or collected, and
 * live content of the title and the draft — nothing of `messages`, nothing it cannot name.
 */
function keepAllowedDeletions(
  doc: Y.Doc,
  index: UpdateIndex,
  client: number,
  from: number,
  to: number,
  kept: Array<[number, number]>,
  tampered: Set<Y.Item>,
): number {
  let removed = 0;
  let position = from;
  while (position < to) {
    const inDocument = findInDocument(doc, client, position);
    const struct = inDocument ?? index.find(client, position);
    if (!struct || struct instanceof Y.Skip) return removed + (to - position);
    const end = Math.min(to, struct.id.clock + struct.length);
    if (!inDocument || !(struct instanceof Y.Item) || struct.deleted || isAllowedToDelete(struct, tampered)) {
      const last = kept.at(-1);
      if (last && last[0] + last[1] === position) last[1] += end - position;
      else kept.push([position, end - position]);
    } else {
      removed += end - position;
    }
    position = end;
  }
  return removed;
}

function isAllowedToDelete(item: Y.Item, tampered: Set<Y.Item>): boolean {
  const place = placeOfDocumentItem(item);
  if (place.kind === 'nested' && !place.live) return true;
  const root = place.kind === 'root' || place.kind === 'nested' ? place.root : undefined;
  if (root === DocumentFields.title || root === DocumentFields.draft) return true;
  if (root === DocumentFields.messages) tampered.add(place.kind === 'nested' ? place.entry : item);
  return false;
}
