import * as Y from 'yjs';

/** A struct of a decoded update: an Item, or a GC or Skip range. */
export type Struct = Y.Item | Y.GC | Y.Skip;

/**
 * Where an item lands in the document once Yjs integrates it, worked out before it does:
 * - `root`: directly in a root type (`title`, `draft`, `messages`, or any name a client made up);
 * - `nested`: inside a type that lives in a root. `entry` is that type's top-level item — the
 *   message map a change inside `messages` belongs to — and `inUpdate` says whether it is new;
 * - `inert`: Yjs will garbage-collect it (its neighbour or parent is gone), so it changes nothing;
 * - `unknown`: it refers to something neither the document nor the update holds. Yjs would keep it
 *   pending and integrate it later, unchecked, so such items are never let through.
 */
export type Place =
  | { kind: 'root'; root: string; parentSub: string | null }
  | { kind: 'nested'; root: string; entry: Y.Item; inUpdate: boolean; live: boolean }
  | { kind: 'inert' }
  | { kind: 'unknown' };

/** The structs of one update indexed by client, to resolve references between them. */
export class UpdateIndex {
  private readonly byClient = new Map<number, Struct[]>();

  constructor(structs: readonly Struct[]) {
    for (const struct of structs) {
      const list = this.byClient.get(struct.id.client);
      if (list) list.push(struct);
      else this.byClient.set(struct.id.client, [struct]);
    }
  }

  /** The update's struct covering `clock` of `client`, if any. */
  find(client: number, clock: number): Struct | undefined {
    return findCovering(this.byClient.get(client), clock);
  }

  /** True when each client's structs follow one another without overlap, as an encoded update's must. */
  isContiguous(): boolean {
    for (const structs of this.byClient.values()) {
      for (let i = 1; i < structs.length; i++) {
        const previous = structs[i - 1]!;
        if (structs[i]!.id.clock !== previous.id.clock + previous.length) return false;
      }
    }
    return true;
  }

  clients(): IterableIterator<[number, Struct[]]> {
    return this.byClient.entries();
  }
}

/** Binary search for the struct whose clock range holds `clock`. */
function findCovering<T extends { id: Y.ID; length: number }>(structs: readonly T[] | undefined, clock: number): T | undefined {
  if (!structs) return undefined;
  let low = 0;
  let high = structs.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const struct = structs[middle]!;
    if (clock < struct.id.clock) high = middle - 1;
    else if (clock >= struct.id.clock + struct.length) low = middle + 1;
    else return struct;
  }
  return undefined;
}

/** The document's struct (Item or GC) covering an id, if the document has it. */
export function findInDocument(doc: Y.Doc, client: number, clock: number): Y.Item | Y.GC | undefined {
  return findCovering(doc.store.clients.get(client), clock);
}

/** Where an item of the document itself lives. */
export function placeOfDocumentItem(item: Y.Item): Place {
  let top = item;
  let parent = item.parent as Y.AbstractType<unknown>;
  let live = !item.deleted;
  while (parent._item !== null) {
    top = parent._item;
    live &&= !top.deleted;
    parent = top.parent as Y.AbstractType<unknown>;
  }
  const root = Y.findRootTypeKey(parent);
  if (top === item) return { kind: 'root', root, parentSub: item.parentSub };
  return { kind: 'nested', root, entry: top, inUpdate: false, live };
}

/**
 * Resolves where each item of an update lands, following Yjs's own rules (Item.getMissing): an item
 * with an explicit parent goes there; one without takes its left (else right) neighbour's parent.
 * Neighbours and parents may be in the document or earlier or later in the same update.
 */
export class PlaceResolver {
  private readonly places = new Map<Y.Item, Place>();
  private readonly resolving = new Set<Y.Item>();

  constructor(
    private readonly doc: Y.Doc,
    private readonly update: UpdateIndex,
  ) {}

  placeOf(item: Y.Item): Place {
    const known = this.places.get(item);
    if (known) return known;
    // A cycle of references is not something Yjs could integrate: treat it as unknown.
    if (this.resolving.has(item)) return { kind: 'unknown' };
    this.resolving.add(item);
    const place = this.resolve(item);
    this.resolving.delete(item);
    this.places.set(item, place);
    return place;
  }

  private resolve(item: Y.Item): Place {
    const parent = item.parent as unknown;
    if (typeof parent === 'string') return { kind: 'root', root: parent, parentSub: item.parentSub };
    if (parent instanceof Y.ID) return this.insideItem(parent);
    const neighbour = item.origin ?? item.rightOrigin;
    if (!neighbour) return { kind: 'unknown' };
    return this.besideItem(neighbour);
  }

  /** The place of an item whose parent is the type held by the item at `id`. */
  private insideItem(id: Y.ID): Place {
    const found = this.lookup(id);
    if (found.kind !== 'item') return found.kind === 'gc' ? { kind: 'inert' } : { kind: 'unknown' };
    if (!(found.item.content instanceof Y.ContentType)) return { kind: 'unknown' };
    const place = found.inUpdate ? this.placeOf(found.item) : placeOfDocumentItem(found.item);
    switch (place.kind) {
      case 'root':
        return {
          kind: 'nested',
          root: place.root,
          entry: found.item,
          inUpdate: found.inUpdate,
          live: found.inUpdate || !found.item.deleted,
        };
      default:
        return place;
    }
  }

  /** The place of an item that sits next to the item at `id`, in the same parent. */
  private besideItem(id: Y.ID): Place {
    const found = this.lookup(id);
    if (found.kind !== 'item') return found.kind === 'gc' ? { kind: 'inert' } : { kind: 'unknown' };
    return found.inUpdate ? this.placeOf(found.item) : placeOfDocumentItem(found.item);
  }

  private lookup(id: Y.ID): { kind: 'item'; item: Y.Item; inUpdate: boolean } | { kind: 'gc' } | { kind: 'missing' } {
    const inDocument = findInDocument(this.doc, id.client, id.clock);
    if (inDocument) return inDocument instanceof Y.Item ? { kind: 'item', item: inDocument, inUpdate: false } : { kind: 'gc' };
    const inUpdate = this.update.find(id.client, id.clock);
    if (inUpdate instanceof Y.Item) return { kind: 'item', item: inUpdate, inUpdate: true };
    return inUpdate instanceof Y.GC ? { kind: 'gc' } : { kind: 'missing' };
  }
}
