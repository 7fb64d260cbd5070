import type { Knex } from 'knex';
import * as Y from 'yjs';
import { TooLargeError } from '../errors.ts';
import { DocumentFields } from './conversationDocument.ts';
import { loadConversationState } from './loadConversationState.ts';

/**
 * The shared draft (`draft`, the Y.XmlFragment TipTap binds to) read and written by the server. A write
 * follows the rename's way (documentTitle.ts › renameDocumentUpdate): the edit is made against the
 * document as PostgreSQL holds it, appended to its update log, and carried to the nodes holding the
 * document (`draft.edited`), so live editors and later loads see one and the same edit.
 */

/** The node TipTap's starter kit uses for a paragraph. */
const PARAGRAPH = 'paragraph';

/** The draft as plain text: one line per block (paragraph, heading, list item, code block), marks dropped. */
export function draftTextOf(doc: Y.Doc): string {
  return doc
    .getXmlFragment(DocumentFields.draft)
    .toArray()
    .map((node) => plainText(node))
    .join('\n');
}

function plainText(node: Y.XmlElement | Y.XmlText | Y.XmlHook): string {
  if (node instanceof Y.XmlText) {
    return (node.toDelta() as Array<{ insert?: unknown }>).map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');
  }
  if (!(node instanceof Y.XmlElement)) return '';
  const children = node.toArray();
  // Blocks inside a block (list items, a quote's paragraphs) each take their own line; text runs join.
  const separator = children.some((child) => child instanceof Y.XmlElement) ? '\n' : '';
  return children.map((child) => plainText(child)).join(separator);
}

/** The draft's plain text as PostgreSQL holds it (stored state and update log); undefined when the conversation is gone. */
export async function readDraftText(db: Knex, conversationId: string): Promise<string | undefined> {
  const loaded = await loadConversationState(db, conversationId);
  if (!loaded) return undefined;
  const doc = new Y.Doc();
  try {
    if (loaded.update) Y.applyUpdate(doc, loaded.update);
    return draftTextOf(doc);
  } finally {
    doc.destroy();
  }
}

/**
 * The Yjs update that appends `text` to the end of the draft, one paragraph per line. Made against the
 * document as PostgreSQL holds it, so call it under the conversation's row lock (no store folds the log
 * away meanwhile); undefined when the conversation is gone. An edit that would take the document past
 * `maxDocumentBytes` is refused (413 `document_too_large`), as the collab server refuses a client's.
 */
export async function appendToDraftUpdate(
  db: Knex,
  conversationId: string,
  text: string,
  maxDocumentBytes: number,
): Promise<Uint8Array | undefined> {
  const loaded = await loadConversationState(db, conversationId);
  if (!loaded) return undefined;
  const doc = new Y.Doc();
  try {
    if (loaded.update) Y.applyUpdate(doc, loaded.update);
    const draft = doc.getXmlFragment(DocumentFields.draft);
    const paragraphs = text.split(/\r?\n/).map((line) => {
      const paragraph = new Y.XmlElement(PARAGRAPH);
      if (line) paragraph.insert(0, [new Y.XmlText(line)]);
      return paragraph;
    });
    let edit: Uint8Array | undefined;
    doc.once('update', (update: Uint8Array) => (edit = update));
    doc.transact(() => draft.push(paragraphs));
    if (Y.encodeStateAsUpdate(doc).byteLength > maxDocumentBytes) {
      throw new TooLargeError('The conversation’s document would grow past its size limit', 'document_too_large');
    }
    return edit;
  } finally {
    doc.destroy();
  }
}
