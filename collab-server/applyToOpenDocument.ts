import type { Document, Hocuspocus } from '@hocuspocus/server';
import { documentNameFor } from '@shared/documents/conversationDocument.ts';
import { serverOrigin } from './serverOrigin.ts';

/**
 * Makes a server change to a conversation's document if this node holds it; a node that does not has
 * nothing to do, since loading reads what the change was made from. A document still loading may have
 * read before the change committed, so it is waited for, then changed. Returns whether it was applied.
 */
export async function applyToOpenDocument(
  instance: Hocuspocus,
  conversationId: string,
  reason: Parameters<typeof serverOrigin>[0],
  change: (document: Document) => void,
): Promise<boolean> {
  const name = documentNameFor(conversationId);
  const document = instance.documents.get(name) ?? (await instance.loadingDocuments.get(name)?.catch(() => undefined));
  if (!document || document.isDestroyed) return false;
  document.transact(() => change(document), serverOrigin(reason));
  return true;
}
